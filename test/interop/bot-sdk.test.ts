import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutojoinRoomsMixin, LogLevel, LogService, MatrixClient as BotClient, MemoryStorageProvider } from 'matrix-bot-sdk';
import { RoomEvent, type MatrixClient } from 'matrix-js-sdk';
import { startTestServer } from '../helpers/server.js';
import { loginAndStart, registerWithSdk, waitFor } from './sdk-helpers.js';

// Issue 4: a matrix-bot-sdk bot that auto-joins on invite and answers a command, the shape of most
// home-automation and notification bots.

LogService.setLevel(LogLevel.ERROR);
LogService.muteModule('MatrixClientLite');

let server: Awaited<ReturnType<typeof startTestServer>>;
let human: MatrixClient;
let bot: BotClient;

before(async () => {
  server = await startTestServer({ enableRegistration: true });
  await registerWithSdk(server.baseUrl, 'human', 'human-password-1');
  const botAccount = await registerWithSdk(server.baseUrl, 'pingbot', 'bot-password-1');
  human = await loginAndStart(server.baseUrl, 'human', 'human-password-1');
  bot = new BotClient(server.baseUrl, botAccount.accessToken, new MemoryStorageProvider());
  AutojoinRoomsMixin.setupOnClient(bot);
  bot.on('room.message', (roomId: string, event: { sender: string; content?: { body?: string } }) => {
    if (event.sender === botAccount.userId) return;
    if (event.content?.body === '!ping') void bot.replyNotice(roomId, event, 'pong');
  });
  await bot.start();
});

after(async () => {
  bot?.stop();
  human?.stopClient();
  await server?.close();
});

test('a matrix-bot-sdk bot joins on invite and answers a command', async () => {
  const { room_id } = await human.createRoom({ name: 'bot room' });
  const botId = await bot.getUserId();
  await human.invite(room_id, botId);
  await waitFor(human, RoomEvent.Timeline, () => human.getRoom(room_id)?.getMember(botId)?.membership === 'join', 'the bot joins');
  await human.sendTextMessage(room_id, '!ping');
  const reply = await waitFor(
    human,
    RoomEvent.Timeline,
    // replyNotice quotes the command in its fallback body ("> <@human:...> !ping\n\npong").
    () => human.getRoom(room_id)?.getLiveTimeline().getEvents().find((e) => e.getSender() === botId && String(e.getContent().body).endsWith('pong')),
    'the bot answers',
  );
  assert.equal(reply.getContent().msgtype, 'm.notice');
  assert.ok(reply.getContent()['m.relates_to'], 'the answer is a reply to the command');
});
