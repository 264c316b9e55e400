import type { Registration, NamespaceEntry } from './registration.js';

// Namespace matching over the loaded registrations. Regexes are matched from the start of the id like
// Synapse's re.match (bridges rely on that: `@_irc_.*` without a trailing `$`).

interface CompiledNamespace {
  re: RegExp;
  exclusive: boolean;
}

function compile(entries: readonly NamespaceEntry[]): CompiledNamespace[] {
  return entries.map((e) => ({ re: new RegExp(`^(?:${e.regex})`), exclusive: e.exclusive }));
}

export class AppserviceEntry {
  readonly users: CompiledNamespace[];
  readonly aliases: CompiledNamespace[];
  readonly rooms: CompiledNamespace[];
  readonly senderUserId: string;

  constructor(
    readonly reg: Registration,
    serverName: string,
  ) {
    this.users = compile(reg.namespaces.users);
    this.aliases = compile(reg.namespaces.aliases);
    this.rooms = compile(reg.namespaces.rooms);
    this.senderUserId = `@${reg.senderLocalpart}:${serverName}`;
  }

  get id(): string {
    return this.reg.id;
  }

  /** The sender user, or a user in the users namespace. */
  isInterestedInUser(userId: string): boolean {
    return userId === this.senderUserId || this.users.some((n) => n.re.test(userId));
  }

  isUserInNamespace(userId: string, exclusiveOnly = false): boolean {
    return this.users.some((n) => (!exclusiveOnly || n.exclusive) && n.re.test(userId));
  }

  isAliasInNamespace(alias: string, exclusiveOnly = false): boolean {
    return this.aliases.some((n) => (!exclusiveOnly || n.exclusive) && n.re.test(alias));
  }

  isRoomInNamespace(roomId: string): boolean {
    return this.rooms.some((n) => n.re.test(roomId));
  }
}

export class AppserviceRegistry {
  readonly entries: readonly AppserviceEntry[];
  private readonly byAsToken = new Map<string, AppserviceEntry>();
  private readonly byId = new Map<string, AppserviceEntry>();

  constructor(regs: readonly Registration[], serverName: string) {
    this.entries = regs.map((r) => new AppserviceEntry(r, serverName));
    for (const e of this.entries) {
      this.byAsToken.set(e.reg.asToken, e);
      this.byId.set(e.id, e);
    }
  }

  findByAsToken(token: string): AppserviceEntry | undefined {
    return this.byAsToken.get(token);
  }

  findById(id: string): AppserviceEntry | undefined {
    return this.byId.get(id);
  }

  /** The service holding `userId` in an exclusive namespace (or as its sender), if any. */
  exclusiveOwnerOfUser(userId: string): AppserviceEntry | undefined {
    return this.entries.find((e) => e.senderUserId === userId || e.isUserInNamespace(userId, true));
  }

  /**
   * True when an exclusive users namespace holds `userId` (its sender user not included): a bridge's puppet,
   * whose client is the bridge. Synapse's test for which members push rules are not run for.
   */
  isExclusiveNamespaceUser(userId: string): boolean {
    return this.entries.some((e) => e.isUserInNamespace(userId, true));
  }

  exclusiveOwnerOfAlias(alias: string): AppserviceEntry | undefined {
    return this.entries.find((e) => e.isAliasInNamespace(alias, true));
  }

  /** Services whose users namespace covers the user (for queries about unknown users). */
  servicesForUser(userId: string): AppserviceEntry[] {
    return this.entries.filter((e) => e.isUserInNamespace(userId));
  }

  servicesForAlias(alias: string): AppserviceEntry[] {
    return this.entries.filter((e) => e.isAliasInNamespace(alias));
  }

  servicesForProtocol(protocol: string): AppserviceEntry[] {
    return this.entries.filter((e) => e.reg.protocols.includes(protocol));
  }
}
