import { h } from '../ui.js';
export async function viewEndorse(root) { root.append(h('h1', 'endorse')); }
