import { registerDecorator, ValidationArguments } from 'class-validator';
import { findFieldIssues, LoopsEventField } from './loops-event-rules';

/** Name of the class-validator constraint behind every field of `SendEventDto`. */
const LOOPS_FIELD_CONSTRAINT = 'isLoopsField';

/**
 * Applies the Loops rules of one event field as a class-validator constraint, so `ValidationPipe` and
 * `LoopsEventsService` judge a body by the very same rules.
 */
export function IsLoopsField(field: LoopsEventField): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: LOOPS_FIELD_CONSTRAINT,
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          findFieldIssues(field, value, args.object).length === 0,
        defaultMessage: (args?: ValidationArguments) =>
          findFieldIssues(field, args?.value, args?.object ?? {})
            .map((issue) => issue.message)
            .join('; '),
      },
    });
  };
}
