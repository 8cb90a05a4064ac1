import { h } from '../ui.js';
export async function viewConnections(root) { root.append(h('h1', 'connections')); }
