/** Part 5, validation cost: one child process (`children/validation.ts`), no server (the service runs in dryRun). */
import type { ValidationInput, ValidationMethod, ValidationOutput } from '../children/validation';
import { runTask } from '../support/processes';
import { round } from '../support/stats';

export interface ValidationResult {
  settings: ValidationInput;
  microsPerEvent: Record<ValidationMethod, number>;
  eventsPerSecond: Record<ValidationMethod, number>;
  rounds: ValidationOutput['rounds'];
}

export async function measureValidationCost(settings: ValidationInput): Promise<ValidationResult> {
  const output = await runTask<ValidationInput, ValidationOutput>('validation', settings, { timeoutMs: 60_000 });
  const microsPerEvent = {} as Record<ValidationMethod, number>;
  const eventsPerSecond = {} as Record<ValidationMethod, number>;
  for (const [method, micros] of Object.entries(output.microsPerEvent) as [ValidationMethod, number][]) {
    microsPerEvent[method] = round(micros, 2);
    eventsPerSecond[method] = round(1e6 / micros, 0);
  }
  const rounds = output.rounds.map(
    (r) =>
      Object.fromEntries(Object.entries(r).map(([method, micros]) => [method, round(micros, 2)])) as Record<
        ValidationMethod,
        number
      >,
  );
  return { settings, microsPerEvent, eventsPerSecond, rounds };
}
