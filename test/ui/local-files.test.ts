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

test('the parts of one split .gguf model are handed over together', () => {
  const parts = [file('m-Q8_0-00002-of-00002.gguf'), file('m-Q8_0-00001-of-00002.gguf')];
  expect(modelInputFromFiles([...parts, file('README.md')])).toEqual(parts);
});

test('several .gguf files, or no model at all, are refused with what to give', () => {
  expect(() => modelInputFromFiles([file('a.gguf'), file('b.gguf')])).toThrow(/2 \.gguf files were given \(a\.gguf, b\.gguf\): give one, or every part of one split model/);
  expect(() => modelInputFromFiles([file('a-00001-of-00002.gguf'), file('b-00002-of-00002.gguf')])).toThrow(/give one, or every part/);
  expect(() => modelInputFromFiles([file('notes.txt')])).toThrow(LocalFilesError);
  expect(() => modelInputFromFiles([file('notes.txt')])).toThrow(/notes\.txt is not a model: give a \.gguf file, or a Hugging Face model folder/);
});
