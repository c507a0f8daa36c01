/**
 * `npm run sites -- <command>`: the site registry from the command line, against DATABASE_URL
 * (default sqlite:.data/wtm.sqlite; a SQLite file is migrated on first use, MySQL needs `npm run migrate`).
 */
import { createDatabase } from '../lib/db';
import { errorMessage } from '../lib/errors';
import { createGoalRegistry, type GoalRegistry } from './goals';
import { createSiteRegistry, RegistryError, type SiteRegistry } from './registry';

const USAGE = `usage: npm run sites -- <command>

  add <hostname> [--timezone <IANA zone>] [--public]   register a site (or update it); zone default UTC
  list                                                  list the registered sites
  public <hostname> on|off                              make a site's stats public or private
  remove <hostname>                                     unregister a site and its tokens (its events are then rejected)
  token create <hostname> [--label <text>]              create an API token (printed once; only its hash is stored)
  token list <hostname>                                 list a site's tokens (label, hash prefix, state)
  token revoke <hostname> <token | hash prefix>         revoke a token
  goal add <hostname> --event <name> [--name <text>]    a goal: a custom event name
  goal add <hostname> --page <pattern> [--name <text>]  a goal: a page path pattern (* = any characters, e.g. /pricing*)
  goal list <hostname>                                  list a site's goals (id, name, kind, definition)
  goal remove <hostname> <id | name>                    remove a goal
  migrate                                               apply the schema migrations

environment: DATABASE_URL (default sqlite:.data/wtm.sqlite)`;

class UsageError extends Error {}

/** Splits `--name value` / `--flag` options from positional arguments. */
function parse(args: readonly string[], valued: readonly string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else if (inline === undefined) options.set(name, true);
    else throw new UsageError(`--${name} takes no value`);
  }
  return { positional, options };
}

function need(positional: readonly string[], n: number, what: string): string[] {
  if (positional.length !== n) throw new UsageError(`expected ${what}`);
  return [...positional];
}

async function run(registry: SiteRegistry, goals: GoalRegistry, argv: readonly string[], out: (line: string) => void): Promise<void> {
  const { positional, options } = parse(argv, ['timezone', 'label', 'event', 'page', 'name']);
  const allowed = (names: string[]) => {
    const bad = [...options.keys()].find((k) => !names.includes(k));
    if (bad !== undefined) throw new UsageError(`unknown option --${bad}`);
  };
  const [command, ...rest] = positional;
  switch (command) {
    case 'add': {
      allowed(['timezone', 'public']);
      const [hostname] = need(rest, 1, 'add <hostname>');
      const tz = options.get('timezone');
      const site = await registry.add({
        hostname: hostname!,
        timezone: typeof tz === 'string' ? tz : 'UTC',
        isPublic: options.get('public') === true,
      });
      out(`${site.hostname}\t${site.timezone}\t${site.isPublic ? 'public' : 'private'}`);
      return;
    }
    case 'list': {
      allowed([]);
      need(rest, 0, 'list');
      const sites = await registry.list();
      if (sites.length === 0) out('no sites registered (add one: npm run sites -- add example.com --timezone Europe/Berlin --public)');
      for (const s of sites) out(`${s.hostname}\t${s.timezone}\t${s.isPublic ? 'public' : 'private'}`);
      return;
    }
    case 'public': {
      allowed([]);
      const [hostname, state] = need(rest, 2, 'public <hostname> on|off');
      if (state !== 'on' && state !== 'off') throw new UsageError('public takes on or off');
      await registry.setPublic(hostname!, state === 'on');
      out(`${hostname} is now ${state === 'on' ? 'public' : 'private'}`);
      return;
    }
    case 'remove': {
      allowed([]);
      const [hostname] = need(rest, 1, 'remove <hostname>');
      if (!(await registry.remove(hostname!))) throw new RegistryError(`site "${hostname}" is not registered`);
      out(`removed ${hostname}`);
      return;
    }
    case 'token': {
      const [sub, ...args] = rest;
      if (sub === 'create') {
        allowed(['label']);
        const [hostname] = need(args, 1, 'token create <hostname> [--label <text>]');
        const label = options.get('label');
        out(await registry.createToken(hostname!, typeof label === 'string' ? label : ''));
        return;
      }
      if (sub === 'list') {
        allowed([]);
        const [hostname] = need(args, 1, 'token list <hostname>');
        for (const t of await registry.listTokens(hostname!)) {
          out(`${t.hashPrefix}\t${t.label || '-'}\t${t.revokedAt === null ? 'live' : 'revoked'}\t${new Date(t.createdAt).toISOString()}`);
        }
        return;
      }
      if (sub === 'revoke') {
        allowed([]);
        const [hostname, token] = need(args, 2, 'token revoke <hostname> <token | hash prefix>');
        const n = await registry.revokeToken(hostname!, token!);
        if (n === 0) throw new RegistryError(`no live token of ${hostname} matches`);
        out('revoked');
        return;
      }
      throw new UsageError('token create | list | revoke');
    }
    case 'goal': {
      const [sub, ...args] = rest;
      const show = (g: Awaited<ReturnType<GoalRegistry['list']>>[number]) =>
        `${g.id}\t${g.name}\t${g.kind}\t${g.kind === 'event' ? g.event : g.page}`;
      if (sub === 'add') {
        allowed(['event', 'page', 'name']);
        const [hostname] = need(args, 1, 'goal add <hostname> --event <name> | --page <pattern> [--name <text>]');
        const event = options.get('event');
        const page = options.get('page');
        const name = options.get('name');
        if ((typeof event === 'string') === (typeof page === 'string')) throw new UsageError('goal add takes one of --event or --page');
        const goal = await goals.add(hostname!, {
          ...(typeof event === 'string' ? { kind: 'event' as const, event } : { kind: 'page' as const, page: String(page) }),
          ...(typeof name === 'string' ? { name } : {}),
        });
        out(show(goal));
        return;
      }
      if (sub === 'list') {
        allowed([]);
        const [hostname] = need(args, 1, 'goal list <hostname>');
        const list = await goals.list(hostname!);
        if (list.length === 0) out(`${hostname} has no goals (add one: npm run sites -- goal add ${hostname} --event signup)`);
        for (const g of list) out(show(g));
        return;
      }
      if (sub === 'remove') {
        allowed([]);
        const [hostname, idOrName] = need(args, 2, 'goal remove <hostname> <id | name>');
        if (!(await goals.remove(hostname!, idOrName!))) throw new RegistryError(`${hostname} has no goal "${idOrName}"`);
        out('removed');
        return;
      }
      throw new UsageError('goal add | list | remove');
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const url = process.env.DATABASE_URL ?? 'sqlite:.data/wtm.sqlite';
  const db = createDatabase({ url });
  try {
    if (argv[0] === 'migrate' || url.startsWith('sqlite:')) await db.migrate();
    if (argv[0] === 'migrate') {
      process.stdout.write('migrations applied\n');
      return 0;
    }
    await run(createSiteRegistry(db), createGoalRegistry(db), argv, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof RegistryError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    const msg = errorMessage(e);
    process.stderr.write(
      /no such table|doesn't exist/i.test(msg)
        ? `error: the schema is missing in ${db.dialect.kind}: run \`npm run migrate\` first\n`
        : `error: ${msg}\n`,
    );
    return 1;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
