/**
 * Markdown shown in an element as it streams. Each update re-renders only the blocks whose source
 * changed since the last one (while an answer streams, its last block), so the blocks above stay
 * the same nodes: a selection in them survives, and their buttons can be clicked mid-stream.
 */
import { markdownBlocks } from './markdown.ts';

export interface MarkdownView {
  /** Shows `text` (the whole Markdown so far). */
  show(text: string): void;
}

/**
 * `el` is the view's alone. `decorate` gets each newly rendered block, sanitized, before it is
 * shown: it may add elements of its own (a code block's Copy button).
 */
export function createMarkdownView(el: HTMLElement, decorate: (block: DocumentFragment) => void = () => {}): MarkdownView {
  let shown: { source: string; nodes: ChildNode[] }[] = [];
  let linksKey = '';
  return {
    show(text) {
      const blocks = markdownBlocks(text);
      // A reference link defined (or changed) further down changes blocks above it: all are new.
      let same = 0;
      if (blocks.linksKey === linksKey) {
        while (same < shown.length && same < blocks.sources.length && shown[same].source === blocks.sources[same]) same++;
      }
      for (const block of shown.slice(same)) for (const node of block.nodes) node.remove();
      shown = shown.slice(0, same);
      linksKey = blocks.linksKey;
      for (let i = same; i < blocks.sources.length; i++) {
        const block = blocks.render(i);
        decorate(block);
        const nodes = [...block.childNodes];
        el.append(block);
        shown.push({ source: blocks.sources[i], nodes });
      }
    },
  };
}
