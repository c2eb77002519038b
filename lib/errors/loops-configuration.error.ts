import { LoopsError } from './loops.error';

/** Thrown at bootstrap when the module options break a rule; `option` names the offending option. */
export class LoopsConfigurationError extends LoopsError {
  constructor(
    readonly option: string,
    readonly rule: string,
  ) {
    super(`Invalid LoopsModule option "${option}": ${rule}`);
  }
}
