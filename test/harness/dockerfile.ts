import { execSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One `FROM` stage of a Dockerfile, reduced to what assembling its file set needs. */
export interface DockerStage {
  name?: string;
  workdir: string;
  env: Record<string, string>;
  steps: Array<{ kind: 'COPY'; from?: string; sources: string[]; dest: string } | { kind: 'RUN'; command: string }>;
  cmd?: string[];
}

/** Parses the instructions Settle's Dockerfile uses: FROM, WORKDIR, ENV, COPY, RUN, USER, CMD. */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const stage = stages[stages.length - 1];
    switch (instruction!.toUpperCase()) {
      case 'FROM':
        stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1], workdir: '/', env: {}, steps: [] });
        break;
      case 'WORKDIR':
        stage!.workdir = path.posix.resolve(stage!.workdir, args);
        break;
      case 'ENV': {
        const [k, v] = args.split('=');
        stage!.env[k!] = v!;
        break;
      }
      case 'COPY': {
        const from = /--from=(\S+)/.exec(args)?.[1];
        const paths = rest.filter((p) => !p.startsWith('--'));
        stage!.steps.push({ kind: 'COPY', from, sources: paths.slice(0, -1), dest: paths[paths.length - 1]! });
        break;
      }
      case 'RUN':
        stage!.steps.push({ kind: 'RUN', command: args });
        break;
      case 'CMD':
        stage!.cmd = JSON.parse(args) as string[];
        break;
      case 'USER':
        break;
      default:
        throw new Error(`Dockerfile instruction the image test does not know: ${instruction}`);
    }
  }
  return stages;
}

/**
 * Builds each stage into its own folder under `root` (the stage's WORKDIR maps to that folder):
 * COPY takes files from `context` or an earlier stage, RUN runs there with the stage's ENV plus `env`.
 * Returns the last stage's folder, which holds exactly the image's application files.
 */
export function assembleImage(stages: DockerStage[], context: string, root: string, env: NodeJS.ProcessEnv): string {
  const dirs = new Map<string, { dir: string; workdir: string }>();
  let last = '';
  stages.forEach((stage, i) => {
    const dir = path.join(root, stage.name ?? `stage-${i}`);
    mkdirSync(dir, { recursive: true });
    const inStage = (p: string, base: { dir: string; workdir: string }) =>
      path.join(base.dir, path.posix.relative(base.workdir, path.posix.resolve(base.workdir, p)));
    for (const step of stage.steps) {
      if (step.kind === 'RUN') {
        execSync(step.command, { cwd: dir, env: { ...env, ...stage.env }, stdio: 'pipe', shell: '/bin/bash' });
        continue;
      }
      const source = step.from ? dirs.get(step.from) : { dir: context, workdir: '/' };
      if (!source) throw new Error(`COPY --from=${step.from}: no such stage`);
      const dest = inStage(step.dest, { dir, workdir: stage.workdir });
      for (const src of step.sources) {
        const from = step.from ? inStage(src, source) : path.join(context, src);
        // Docker copies a folder's contents, and a file into a destination ending in '/'.
        const target = statSync(from).isDirectory() || !step.dest.endsWith('/') ? dest : path.join(dest, path.basename(src));
        cpSync(from, target, { recursive: true, filter: step.from ? undefined : notIgnored(context) });
      }
    }
    dirs.set(stage.name ?? String(i), { dir, workdir: stage.workdir });
    last = dir;
  });
  return last;
}

/** What .dockerignore keeps out of the build context (the entries Settle's file lists). */
function notIgnored(context: string): (file: string) => boolean {
  const ignored = readFileSync(path.join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (file) =>
    !path
      .relative(context, file)
      .split(path.sep)
      .some((part) => ignored.includes(part));
}

export function readDockerfile(file: string): DockerStage[] {
  return parseDockerfile(readFileSync(file, 'utf8'));
}
