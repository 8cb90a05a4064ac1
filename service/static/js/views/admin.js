import { h } from '../ui.js';
export async function viewAdmin(root) { root.append(h('h1', 'admin')); }
