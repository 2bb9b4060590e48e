/**
 * Walks a command line of `--flag value` pairs and bare `--switch`es: `handle` gets each flag's name
 * and a function that takes its value (and fails, naming the flag, where there is none).
 */
export function forEachFlag(argv: readonly string[], handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    handle(flag, () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${flag} needs a value`);
      return x;
    });
  }
}
