/**
 * Picked or dropped files as a model: one .gguf file, the parts of a split one, or a Hugging Face
 * folder (config.json, tokenizer files and .safetensors). A dropped folder is read through the File
 * System entries API.
 */
import { ggufPartOf } from '../formats/gguf-split.ts';

export class LocalFilesError extends Error {
  override name = 'LocalFilesError';
}

export function modelInputFromFiles(files: File[]): File | File[] {
  if (files.some((f) => f.name === 'config.json')) return files;
  const gguf = files.filter((f) => /\.gguf$/i.test(f.name));
  if (gguf.length === 1) return gguf[0];
  // The parts of one split model (NAME-00001-of-00003.gguf ...): the engine reads them together.
  const parts = gguf.map((f) => ggufPartOf(f.name));
  const prefix = (f: File) => f.name.replace(/-\d{5}-of-\d{5}\.gguf$/i, '');
  if (gguf.length > 1) {
    if (parts.every((p) => p && p.count === parts[0]!.count) && gguf.every((f) => prefix(f) === prefix(gguf[0]))) return gguf;
    throw new LocalFilesError(`${gguf.length} .gguf files were given (${gguf.map((f) => f.name).join(', ')}): give one, or every part of one split model`);
  }
  throw new LocalFilesError(
    `${files.map((f) => f.name).join(', ') || 'nothing'} is not a model: give a .gguf file, or a Hugging Face model folder with config.json, tokenizer.json and .safetensors files`,
  );
}

/** The dropped files; for a dropped folder, the files at its top level (where a model's files are). */
export async function filesFromDrop(dt: DataTransfer): Promise<File[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.() ?? null).filter((e): e is FileSystemEntry => e !== null);
  const folder = entries.length === 1 && entries[0].isDirectory ? (entries[0] as FileSystemDirectoryEntry) : null;
  if (!folder) return [...dt.files];
  const children = await readAllEntries(folder.createReader());
  return Promise.all(
    children.filter((e): e is FileSystemFileEntry => e.isFile).map((e) => new Promise<File>((resolve, reject) => e.file(resolve, reject))),
  );
}

/** readEntries() answers in batches (100 in Chromium) until it answers with none. */
async function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
