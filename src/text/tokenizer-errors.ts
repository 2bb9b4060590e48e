/** The model's tokenizer files are missing something or contradict themselves. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/** The tokenizer files are valid but of a kind this runtime does not implement (a GGUF pre-tokenizer, a non-BPE model). */
export class UnsupportedTokenizerError extends TokenizerError {
  override name = 'UnsupportedTokenizerError';
}
