// planner → notifier: the order.completed event, as an asynchronous message pact. The notifier is
// the consumer (it must accept the event); the planner is the provider (it must emit it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchersV3 } from '../../../src/contracts/consumer.js';
import { isoTimestamp } from '../../../src/contracts/conventions.js';
import { getJson, postJson, startTeamAgent, stopAllTeamAgents, type StartedTeamAgent } from '../../team/helpers.js';
import { scratchContract, teamContract, type TeamContract } from './helpers.js';
import { plannerStates } from './states.js';

const { like, regex } = MatchersV3;

const event = {
  eventId: regex('^order-completed-.+$', 'order-completed-ord-1'),
  type: 'order.completed',
  orderId: like('ord-1'),
  chargeId: like('ch_1'),
  occurredAt: isoTimestamp(),
};

let notifier: StartedTeamAgent;
let tc: TeamContract;
beforeAll(async () => {
  notifier = await startTeamAgent('notifier');
  tc = await teamContract('notifier', 'planner');
});
afterAll(async () => {
  await stopAllTeamAgents();
  await tc?.cleanup();
});

describe('planner → notifier (order.completed event)', () => {
  it('the notifier accepts the event and sends one notification for it', async () => {
    await tc.contract
      .event('an order.completed event')
      .given(plannerStates.anOrderWasCompleted({ orderId: 'ord-1' }))
      .withContent(event)
      .run(async (message) => {
        const answer = await postJson(`${notifier.url}/events`, message.content);
        expect(answer.status).toBe(202);
        expect(answer.body).toEqual({ accepted: true });
        const sent = await getJson(`${notifier.url}/sent`);
        expect(sent.body.notifications).toContainEqual(expect.objectContaining({ eventId: 'order-completed-ord-1', orderId: 'ord-1' }));
      });
    await tc.publish();
  });

  it('an event the notifier would reject (no occurredAt) fails the consumer test', async () => {
    const bad = await scratchContract('notifier', 'planner');
    try {
      const { occurredAt: _dropped, ...withoutTime } = event;
      const run = bad.contract
        .event('an order.completed event')
        .withContent(withoutTime)
        .run(async (message) => {
          const answer = await postJson(`${notifier.url}/events`, message.content);
          if (answer.status !== 202) throw new Error(`notifier answered ${answer.status} ${JSON.stringify(answer.body)}`);
        });
      await expect(run).rejects.toThrow(/notifier answered 400 .*occurredAt/);
    } finally {
      await bad.cleanup();
    }
  });
});
