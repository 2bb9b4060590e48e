/** Picked or dropped files as a model input. */
import { expect, test } from 'vitest';
import { LocalFilesError, modelInputFromFiles } from '../../src/ui/local-files.ts';

const file = (name: string) => new File(['x'], name);

test('one .gguf file is the model', () => {
  const gguf = file('m.Q4_0.gguf');
  expect(modelInputFromFiles([gguf, file('README.md')])).toBe(gguf);
});

test('a folder with config.json is handed over whole', () => {
  const files = [file('config.json'), file('tokenizer.json'), file('model.safetensors')];
  expect(modelInputFromFiles(files)).toBe(files);
});

test('several .gguf files, or no model at all, are refused with what to give', () => {
  expect(() => modelInputFromFiles([file('a.gguf'), file('b.gguf')])).toThrow(/2 \.gguf files were given \(a\.gguf, b\.gguf\): give one/);
  expect(() => modelInputFromFiles([file('notes.txt')])).toThrow(LocalFilesError);
  expect(() => modelInputFromFiles([file('notes.txt')])).toThrow(/notes\.txt is not a model: give a \.gguf file, or a Hugging Face model folder/);
});
