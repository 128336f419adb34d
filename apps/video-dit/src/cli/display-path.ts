import { isAbsolute, relative, resolve } from 'node:path';

/**
 * A path as the user should read it: relative to the folder they ran the command from. pnpm runs
 * a package's scripts in the package's folder and says where the user was in `INIT_CWD`.
 * @param path - a path relative to this process's working folder, or absolute.
 * @returns the path from the user's folder (absolute when that is shorter to read, i.e. outside it).
 */
export function displayPath(path: string): string {
  const absolute = resolve(path);
  const fromUser = relative(process.env.INIT_CWD ?? process.cwd(), absolute);
  return fromUser === '' ? '.' : fromUser.startsWith('..') || isAbsolute(fromUser) ? absolute : fromUser;
}
