import { FormatError } from './errors.ts';
import { readGguf, type GgufFile, type GgufMetadata } from './gguf.ts';
import type { ByteSource } from './source.ts';

/**
 * GGUF models split into parts, as llama.cpp's gguf-split writes them (and Hugging Face uploads of
 * models past its 50 GB file limit): NAME-00001-of-00003.gguf holds the metadata and the first
 * tensors, the others only `split.*` keys and their tensors. Every part says which it is
 * (`split.no`, from 0) of how many (`split.count`); the first also how many tensors all hold
 * (`split.tensors.count`).
 */

/** Opens another part of the same model by its file name; null when there is no such file. */
export type GgufPartOpener = (fileName: string) => Promise<ByteSource | null>;

const PART_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

interface SplitKeys {
  no: number;
  count: number;
}

function splitKeys(md: GgufMetadata): SplitKeys | null {
  const count = md.get('split.count');
  if (count === undefined || Number(count) <= 1) return null;
  return { no: Number(md.get('split.no') ?? 0), count: Number(count) };
}

/** The file names of a split model's parts, from any part's name (llama.cpp's llama_split_path). */
export function ggufPartNames(fileName: string, count: number): string[] | null {
  const m = PART_NAME.exec(fileName);
  if (!m || Number(m[3]) !== count) return null;
  const pad = (n: number) => String(n).padStart(5, '0');
  return Array.from({ length: count }, (_, i) => `${m[1]}-${pad(i + 1)}-of-${pad(count)}.gguf`);
}

/** Whether a file name is that of a part of a split GGUF, and which (1-based), of how many. */
export function ggufPartOf(fileName: string): { part: number; count: number } | null {
  const m = PART_NAME.exec(fileName);
  return m ? { part: Number(m[2]), count: Number(m[3]) } : null;
}

/**
 * A GGUF model from one file, or from all parts of a split one: the metadata of the first part and
 * the tensors of every part, each read from its own file. `src` may be any part (`fileName` is its
 * name); `openPart` finds the others beside it. Without `openPart` a split model is refused, naming
 * the parts it needs.
 */
export async function readGgufModel(src: ByteSource, fileName: string, openPart?: GgufPartOpener): Promise<GgufFile> {
  const given = await readGguf(src);
  const split = splitKeys(given.metadata);
  if (!split) return given;
  const names = partNamesOf(given, src, fileName)!;
  if (!openPart) {
    throw new FormatError(src.name, `is part ${split.no + 1} of ${split.count} of a split GGUF model: load all its parts together (${names.join(', ')})`);
  }
  const parts: GgufFile[] = [];
  for (const [i, name] of names.entries()) {
    if (i === split.no) {
      parts.push(given);
      continue;
    }
    const partSrc = await openPart(name);
    if (!partSrc) throw new FormatError(src.name, `is part ${split.no + 1} of ${split.count} of a split GGUF model, and part ${i + 1}, ${name}, is missing`);
    const part = await readGguf(partSrc);
    const keys = splitKeys(part.metadata);
    if (!keys || keys.no !== i || keys.count !== split.count) {
      const says = keys ? `part ${keys.no + 1} of ${keys.count}` : 'a whole model';
      throw new FormatError(partSrc.name, `should be part ${i + 1} of ${split.count} of ${names[0]}'s model, but its metadata says it is ${says}`);
    }
    parts.push(part);
  }
  return joinParts(parts, names);
}

/**
 * The file names of every part of the model `file` (read from `src`, named `fileName`) belongs to,
 * first part first; null for a whole model. A part whose name does not follow gguf-split's pattern
 * is refused: its siblings cannot be found.
 */
export function partNamesOf(file: GgufFile, src: ByteSource, fileName: string): string[] | null {
  const split = splitKeys(file.metadata);
  if (!split) return null;
  const names = ggufPartNames(fileName, split.count);
  if (!names) {
    throw new FormatError(
      src.name,
      `is part ${split.no + 1} of ${split.count} of a split GGUF model, but its name does not say where the other parts are ` +
        `(gguf-split names them NAME-00001-of-${String(split.count).padStart(5, '0')}.gguf and so on): give the parts their original names`,
    );
  }
  return names;
}

function joinParts(parts: GgufFile[], names: string[]): GgufFile {
  const first = parts[0];
  const tensors = parts.flatMap((p) => p.tensors);
  const expected = Number(first.metadata.get('split.tensors.count') ?? tensors.length);
  if (tensors.length !== expected) {
    throw new FormatError(names[0], `says its ${parts.length} parts hold ${expected} tensors, but they hold ${tensors.length}: a part is from another copy of the model`);
  }
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new FormatError(names[0], `tensor "${t.name}" is in more than one part of the split model`);
    seen.add(t.name);
  }
  return { ...first, tensors };
}
