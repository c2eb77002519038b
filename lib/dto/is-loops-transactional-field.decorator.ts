import { registerDecorator, ValidationArguments } from 'class-validator';
import { findTransactionalFieldIssues, type LoopsTransactionalField } from './loops-transactional-rules';

/**
 * Applies the Loops rules of one transactional email field as a class-validator constraint, so that `ValidationPipe`
 * and `LoopsTransactionalService` judge a body by the same rules.
 */
export function IsLoopsTransactionalField(field: LoopsTransactionalField): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'isLoopsTransactionalField',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => findTransactionalFieldIssues(field, value).length === 0,
        defaultMessage: (args?: ValidationArguments) =>
          findTransactionalFieldIssues(field, args?.value)
            .map((issue) => issue.message)
            .join('; '),
      },
    });
  };
}
