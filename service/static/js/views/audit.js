import { h } from '../ui.js';
export async function viewAudit(root) { root.append(h('h1', 'audit')); }
