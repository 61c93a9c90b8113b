// The typed provider-state registry: compile-time checks (each @ts-expect-error must stay an error,
// `tsc --noEmit` fails otherwise) and the runtime behaviour the verifier relies on.
import { describe, expect, it } from 'vitest';
import { checkStateParams, defineProviderStates, isProviderStateHandlers, stateNameFromAccessor } from '../../src/contracts/states.js';
import { asStateHandlerSet } from '../../src/contracts/load-handlers.js';
import { handlersFor, missingStates } from '../../src/contracts/verify.js';
import { parsePact } from '../../src/contracts/pact-file.js';

const typed = defineProviderStates<{ 'order exists': { orderId: string }; 'payments is empty': void; 'sku-9 is low': { sku: string } }>();

describe('compile-time checks', () => {
  it('accessors take the declared parameters; handlers must cover every state', () => {
    const ref = typed.orderExists({ orderId: 'o-1' });
    expect(ref).toEqual({ name: 'order exists', params: { orderId: 'o-1' } });
    expect(typed.paymentsIsEmpty()).toEqual({ name: 'payments is empty' });
    expect(typed.schema).toBeUndefined();
    // A name that is not plain words is reached through ref():
    expect(typed.ref('sku-9 is low', { sku: 'sku-9' })).toEqual({ name: 'sku-9 is low', params: { sku: 'sku-9' } });

    // @ts-expect-error: a wrong parameter type does not compile
    typed.orderExists({ orderId: 42 });
    // @ts-expect-error: a missing parameter does not compile
    typed.orderExists({});
    // @ts-expect-error: an undeclared state has no accessor
    expect(() => typed.orderShipped({ orderId: 'x' })).not.toThrow();

    const h = typed.handlers({
      'order exists': async ({ orderId }) => {
        expect(typeof orderId).toBe('string');
      },
      'payments is empty': () => undefined,
      'sku-9 is low': { setup: () => undefined, teardown: () => undefined },
    });
    expect(Object.keys(h.states).sort()).toEqual(['order exists', 'payments is empty', 'sku-9 is low']);

    // @ts-expect-error: a missing handler does not compile
    typed.handlers({ 'order exists': () => undefined, 'payments is empty': () => undefined });
    typed.handlers({
      // @ts-expect-error: a handler with the wrong parameter type does not compile
      'order exists': (p: { orderId: number }) => void p,
      'payments is empty': () => undefined,
      'sku-9 is low': () => undefined,
    });
  });
});

describe('runtime registry with a schema', () => {
  const states = defineProviderStates({ 'order exists': { orderId: 'string', qty: 'integer' }, 'nothing stored': {} });

  it('checks parameters against the schema and names the state and parameter', () => {
    expect(checkStateParams(states.schema, 'order exists', { orderId: 'o', qty: 2 })).toBeUndefined();
    expect(checkStateParams(states.schema, 'order exists', { orderId: 3, qty: 2 })).toBe("parameter 'orderId' should be a string, got integer 3");
    expect(checkStateParams(states.schema, 'order exists', { qty: 1.5 })).toBe(
      "parameter 'orderId' (string) is missing; parameter 'qty' should be an integer, got number 1.5",
    );
    expect(checkStateParams(states.schema, 'nothing stored', { extra: 1 })).toBe("parameter 'extra' is not declared (declared: none)");
  });

  it('refuses unknown states and handlers for unknown states', () => {
    expect(() => (states as unknown as { ref(n: string): unknown }).ref('order lost')).toThrow(/unknown provider state 'order lost'/);
    expect(() => (states.handlers as (m: object) => unknown)({ 'order lost': () => undefined })).toThrow(/handler for unknown provider state 'order lost'/);
  });

  it('maps accessor names back to state names', () => {
    expect(stateNameFromAccessor('orderExists')).toBe('order exists');
    expect(stateNameFromAccessor('step2Done')).toBe('step2 done');
  });
});

describe('handler sets', () => {
  const a = defineProviderStates<{ 'a ready': void }>().handlers({ 'a ready': () => undefined });
  const shared = defineProviderStates<{ 'any up': void }>().handlers({ 'any up': () => undefined });

  it('picks a provider’s handlers and merges the shared ones', () => {
    expect(handlersFor(a, 'whatever')).toBe(a);
    const merged = handlersFor({ planner: a, '*': shared }, 'planner')!;
    expect(Object.keys(merged.states).sort()).toEqual(['a ready', 'any up']);
    expect(handlersFor({ planner: a }, 'payments')).toBeUndefined();
  });

  it('lists the states a pact needs that the handlers lack', () => {
    const pact = parsePact(
      JSON.stringify({
        consumer: { name: 'c' },
        provider: { name: 'p' },
        interactions: [
          { description: 'one', providerStates: [{ name: 'a ready' }, { name: 'b ready' }] },
          { description: 'two', providerStates: [{ name: 'b ready' }] },
        ],
      }),
      'c-p.json',
    );
    expect(missingStates([pact], a)).toEqual([{ state: 'b ready', neededBy: ['c: one', 'c: two'] }]);
  });

  it('accepts a module export of handlers or handlers by provider, and names what is wrong otherwise', () => {
    expect(isProviderStateHandlers(asStateHandlerSet(a, 'm.ts'))).toBe(true);
    expect(asStateHandlerSet({ planner: a }, 'm.ts')).toEqual({ planner: a });
    expect(() => asStateHandlerSet({ planner: { 'a ready': () => undefined } }, 'm.ts')).toThrow(/m\.ts: the handlers for 'planner' were not made with states.handlers/);
    expect(() => asStateHandlerSet(undefined, 'm.ts')).toThrow(/m\.ts: expected a default export/);
  });
});
