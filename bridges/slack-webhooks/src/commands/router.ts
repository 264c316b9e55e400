import type { CommandHandler, CommandRegistry, CommandRequest } from '../types.js';
import { CommandError } from '../types.js';

// `!slack <command> ...` said in a room: finds the handler (longest matching name first, so "webhook new" wins
// over a hypothetical "webhook"), checks the sender's power where the command changes the room's bridging, and
// returns the answer text.

export const COMMAND_PREFIX = '!slack';

export type PowerCheck = (roomId: string, userId: string) => Promise<boolean>;

export class CommandRouter implements CommandRegistry {
  private readonly handlers: CommandHandler[] = [];

  constructor(private readonly mayChangeState: PowerCheck) {}

  register(handler: CommandHandler): void {
    if (this.handlers.some((h) => h.name === handler.name)) throw new Error(`command ${handler.name} registered twice`);
    this.handlers.push(handler);
    this.handlers.sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  }

  /** True when the body is addressed to the bridge (starts with `!slack`). */
  static isCommand(body: string): boolean {
    return body === COMMAND_PREFIX || body.startsWith(`${COMMAND_PREFIX} `);
  }

  helpText(): string {
    const lines = [...this.handlers].sort((a, b) => a.name.localeCompare(b.name)).map((h) => `${COMMAND_PREFIX} ${h.name} — ${h.help}`);
    return ['Commands:', `${COMMAND_PREFIX} help — this list`, ...lines].join('\n');
  }

  /** The reply to a command line (the whole body, `!slack ...`). */
  async dispatch(body: string, req: Omit<CommandRequest, 'args'>): Promise<string> {
    const words = body.trim().split(/\s+/).slice(1);
    if (words.length === 0 || words[0] === 'help') return this.helpText();
    const handler = this.handlers.find((h) => {
      const name = h.name.split(' ');
      return name.every((w, i) => words[i]?.toLowerCase() === w);
    });
    if (!handler) return `Unknown command "${words[0] ?? ''}". Say "${COMMAND_PREFIX} help" for the list.`;
    if (handler.requiresStatePower && !(await this.mayChangeState(req.roomId, req.sender))) {
      return `Only users who may change this room's settings can use "${COMMAND_PREFIX} ${handler.name}".`;
    }
    try {
      return await handler.run({ ...req, args: words.slice(handler.name.split(' ').length) });
    } catch (err) {
      if (err instanceof CommandError) return err.message;
      throw err;
    }
  }
}
