import { h } from '../ui.js';
export async function viewReview(root) { root.append(h('h1', 'review')); }
