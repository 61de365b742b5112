// TEAMS_FILE: who is in which team (YAML: team -> list of emails or groups). With it, a train
// skips the apps of teams the caller is not in (NO_TEAM_PERMISSION).
import { z } from 'zod';
import { TeamNameSchema } from '../schemas/names.js';
import type { Caller } from './caller.js';
import { lineOfKey, loadSettingsYaml } from './lineNumbers.js';

const TeamsFileSchema = z.record(TeamNameSchema, z.array(z.string().min(1).max(256)));

export class TeamsFileError extends Error {}

export type TeamDirectory = ReadonlyMap<string, ReadonlySet<string>>;

export function parseTeamsFile(text: string, fileName: string): TeamDirectory {
  const document = loadSettingsYaml(text, fileName, {}, (message) => new TeamsFileError(message));
  const parsed = TeamsFileSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const team = issue?.path[0];
    const line = typeof team === 'string' ? lineOfKey(text, team) : undefined;
    const where = line === undefined ? fileName : `${fileName} line ${line}`;
    throw new TeamsFileError(
      typeof team === 'string'
        ? `${where}: team "${team}": ${issue?.message}`
        : `${where}: must map each team to a list of emails or groups`,
    );
  }
  return new Map(Object.entries(parsed.data).map(([team, members]) => [team, new Set(members)]));
}

/** The teams the caller is in: listed by email or by one of their groups. */
export function teamsOf(directory: TeamDirectory, caller: Caller): ReadonlySet<string> {
  const teams = new Set<string>();
  for (const [team, members] of directory) {
    if (members.has(caller.email) || caller.groups.some((group) => members.has(group))) teams.add(team);
  }
  return teams;
}
