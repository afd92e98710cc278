/**
 * Anvil's first default account: public knowledge, funded only on local chains. Test mode uses it
 * as the faucet that pays simulated deposits and tops up hot addresses' gas; code that signs with
 * it must first refuse any network that carries real money.
 */
export const LOCAL_FAUCET_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
