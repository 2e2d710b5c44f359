import { RegisteredFunction } from './coreApi';

/** The app asks for something the host cannot run: the Functions host refuses it at indexing too. */
export class FunctionIndexingError extends Error {
  readonly code = 'DEVHOST.INDEXING';
}

/** Output bindings the devhost writes: the HTTP response. */
const supportedOutputs = new Set(['http']);
const structuralFields = new Set(['type', 'direction', 'name', 'dataType']);

/**
 * Why the Functions host would refuse these functions at indexing: an input or output binding no
 * installed extension implements (here: nothing the devhost runs), or a `%Setting%` in a binding
 * that names no app setting. One message per problem, each naming its function.
 */
export function indexingErrors(functions: RegisteredFunction[], supportedInputs: ReadonlySet<string>, env: NodeJS.ProcessEnv): string[] {
  const errors: string[] = [];
  for (const fn of functions) {
    const prefix = `Error indexing function '${fn.metadata.name}':`;
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      const type = binding.type ?? '';
      const lower = type.toLowerCase();
      if (binding.direction === 'out' && !supportedOutputs.has(lower))
        errors.push(`${prefix} output binding '${name}' of type '${type}' is not supported by the devhost (it writes http outputs only).`);
      if (binding.direction === 'in' && !lower.endsWith('trigger') && !supportedInputs.has(lower))
        errors.push(`${prefix} input binding '${name}' of type '${type}' is not supported by the devhost.`);
      for (const [field, value] of Object.entries(binding)) {
        if (structuralFields.has(field) || typeof value !== 'string') continue;
        for (const [, setting] of value.matchAll(/%([^%]+)%/g)) {
          if (env[setting] === undefined)
            errors.push(
              `${prefix} binding '${name}' property '${field}': '%${setting}%' does not resolve to a value (no app setting ${setting}).`,
            );
        }
      }
    }
  }
  return errors;
}
