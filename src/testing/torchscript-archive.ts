import { zipSync } from 'fflate';

/**
 * A current-layout TorchScript archive (`torch.jit.save` since 1.6): `__torch__.M()` with no attributes (its
 * data.pkl written by hand in pickle protocol 2) and the given code as `code/__torch__.py`.
 */
export function archiveWithCode(code: string): Uint8Array {
  const enc = new TextEncoder();
  const pickle = Uint8Array.from([0x80, 2, ...enc.encode('c__torch__\nM\n'), 0x29, 0x81, 0x7d, 0x62, 0x2e]);
  return zipSync({ 'm/version': enc.encode('3\n'), 'm/data.pkl': pickle, 'm/code/__torch__.py': enc.encode(code) });
}
