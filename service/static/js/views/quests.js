import { h } from '../ui.js';
export async function viewQuests(root) { root.append(h('h1', 'quests')); }
