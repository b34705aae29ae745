import fs from 'node:fs';
import path from 'node:path';
import { PORT_CLAIMS, claimPort, getFreePort } from './ports';

describe('getFreePort', () => {
  it('hands out distinct ports, each claimed by this process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 30; i++) ports.push(await getFreePort());
    expect(new Set(ports).size).toBe(30);
    for (const p of ports) {
      expect(fs.readFileSync(path.join(PORT_CLAIMS, String(p)), 'utf8')).toBe(
        String(process.pid),
      );
    }
  });

  it('skips a port another process claimed recently, takes over a stale claim', async () => {
    const port = await getFreePort();
    // claimed just now (by getFreePort above): nobody else gets it
    expect(claimPort(port)).toBe(false);
    // a claim older than two minutes is stale
    const old = new Date(Date.now() - 180_000);
    fs.utimesSync(path.join(PORT_CLAIMS, String(port)), old, old);
    expect(claimPort(port)).toBe(true);
    expect(claimPort(port)).toBe(false);
  });
});
