import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { LOCAL_FAUCET_KEY } from '../../domain/local-faucet';
import { compileTestToken } from '../contracts/compile-token';

export { LOCAL_FAUCET_KEY };

export function anvilBinary(): string {
  const pkg = require.resolve(
    `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}/package.json`,
  );
  return path.join(path.dirname(pkg), 'bin', 'anvil');
}

export interface LocalChain {
  rpcUrl: string;
  provider: JsonRpcProvider;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Anvil on 127.0.0.1. Without `blockTimeSeconds` it mines one block per transaction, and
 * tests mine further blocks themselves (anvil_mine) to add confirmations.
 */
export interface AnvilOptions {
  port: number;
  blockTimeSeconds?: number;
  /** Chain state is loaded from this file and saved to it every few seconds and on exit. */
  stateFile?: string;
  quiet?: boolean;
}

export function anvilArgs(options: AnvilOptions): string[] {
  const args = ['--host', '127.0.0.1', '--port', String(options.port), '--chain-id', '31337'];
  if (options.blockTimeSeconds) args.push('--block-time', String(options.blockTimeSeconds));
  // Saved periodically too, so a killed node restarts with (nearly) the chain it had.
  if (options.stateFile) args.push('--state', options.stateFile, '--state-interval', '5');
  if (options.quiet !== false) args.push('--silent');
  return args;
}

export function localProvider(rpcUrl: string): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, 31337, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
}

/** Resolves once the node at `provider` answers; `exited` reports a child that died meanwhile. */
export async function waitForChain(provider: JsonRpcProvider, exited: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error('anvil exited');
    try {
      await provider.getBlockNumber();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`anvil did not answer within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startAnvil(options: AnvilOptions): Promise<LocalChain> {
  // Not inheriting our stdio: a leaked child would otherwise hold the caller's pipes open.
  const child = spawn(anvilBinary(), anvilArgs(options), { stdio: options.quiet === false ? 'inherit' : 'ignore' });
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const provider = localProvider(rpcUrl);
  await waitForChain(provider, () => child.exitCode !== null);
  return {
    rpcUrl,
    provider,
    process: child,
    async stop() {
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Deploys the test USDT token from the faucet account and returns its address. */
export async function deployTestToken(provider: JsonRpcProvider, decimals: number): Promise<string> {
  const { abi, bytecode } = compileTestToken();
  const deployer = new Wallet(LOCAL_FAUCET_KEY, provider);
  const factory = new ContractFactory(abi as never, bytecode, deployer);
  const contract = await factory.deploy(decimals);
  await contract.waitForDeployment();
  return (await contract.getAddress()).toLowerCase();
}
