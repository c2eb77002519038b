export type EnvVars = Record<string, string | undefined>;

/**
 * Runs `fn` with `vars` in process.env (`undefined` unsets one), as if they had been exported in the shell,
 * then puts back what was there.
 */
export async function withEnv<T>(vars: EnvVars, fn: () => Promise<T>): Promise<T> {
  const saved: EnvVars = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = process.env[name];
    setVar(name, value);
  }
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) setVar(name, value);
  }
}

function setVar(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
