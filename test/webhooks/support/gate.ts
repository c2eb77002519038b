/** A promise a test opens when it chooses: handlers wait on it to act out slow work. */
export interface Gate {
  wait: Promise<void>;
  open(): void;
}

const gates: Gate[] = [];

export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  const created = { wait, open };
  gates.push(created);
  return created;
}

/**
 * Opens every gate still shut. Called before an app closes: a test that failed half-way would otherwise leave a
 * handler waiting forever, and its request would keep the server, and jest, from ever finishing.
 */
export function openAllGates(): void {
  for (const created of gates.splice(0)) created.open();
}
