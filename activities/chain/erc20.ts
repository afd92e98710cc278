import { id, Interface } from 'ethers';

export const TRANSFER_TOPIC = id('Transfer(address,address,uint256)');

export const erc20Interface = new Interface([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function mint(address to, uint256 value)',
]);

/** Topic-encoded address (32 bytes) to a lower-case 0x address. */
export function topicToAddress(topic: string): string {
  return `0x${topic.slice(-40)}`.toLowerCase();
}
