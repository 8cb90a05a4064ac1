import { h } from '../ui.js';
export async function viewPoints(root) { root.append(h('h1', 'points')); }
