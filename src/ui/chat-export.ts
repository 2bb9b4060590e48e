/**
 * A kept chat as a Markdown file: each question, the reasoning folded in a <details> block, the
 * answer as the model wrote it, the notes (stopped, cut off) in italics, and the question's other
 * answers folded after it. Questions are quoted so that their own Markdown stays theirs; the file is
 * for reading and sharing, not for loading back.
 */
import type { SavedChat } from '../store/chat-history.ts';
import { answersOf } from './conversation.ts';

export function chatMarkdown(chat: SavedChat): string {
  const out = [`# ${oneLine(chat.title) || 'Chat'}`, ''];
  const when = new Date(chat.updatedAt).toISOString().replace('T', ' ').slice(0, 16);
  out.push(`_${[chat.model ? `Model: ${chat.model.label}` : null, `${when} UTC`].filter(Boolean).join(' · ')}_`, '');
  for (const t of chat.turns) {
    out.push('## Question', '', quote(t.user), '', '## Answer', '');
    if (t.reasoning.trim()) {
      const summary = t.thought ? `Thought for ${t.thought.seconds.toFixed(1)} s` : 'Thought';
      out.push(`<details><summary>${summary}</summary>`, '', t.reasoning.trim(), '', '</details>', '');
    }
    if (t.answer.trim()) out.push(t.answer.trim(), '');
    for (const n of t.notes) out.push(`_${oneLine(n.text)}_`, '');
    if (t.status === 'pending') out.push('_Interrupted before the answer was finished._', '');
    if (t.leftOut) out.push("_Left out of the model's context, to make room._", '');
    // The question's other answers (Regenerate), folded, in the order they were written.
    const { answers, shown } = answersOf(t);
    answers.forEach((a, i) => {
      if (i === shown || !a.answer.trim()) return;
      out.push(`<details><summary>Another answer (${i + 1} of ${answers.length})</summary>`, '', a.answer.trim(), '', '</details>', '');
    });
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** A file name from the chat's title: letters, digits and dashes, at most 60 characters. */
export function chatFileName(chat: SavedChat): string {
  const stem = chat.title
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${stem || 'chat'}.md`;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const quote = (s: string) =>
  s
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
