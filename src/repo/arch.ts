/**
 * Which architectures a name resolves to by default: this machine's (as rpm names it) and noarch, as
 * dnf does for a plain name. `src` asks for source packages only.
 */
import { endianness } from 'node:os';

/** rpm's name for Node's `process.arch`. */
export function rpmArch(nodeArch: string = process.arch, littleEndian: boolean = endianness() === 'LE'): string {
  switch (nodeArch) {
    case 'x64':
      return 'x86_64';
    case 'ia32':
      return 'i686';
    case 'arm64':
      return 'aarch64';
    case 'arm':
      return 'armv7hl';
    case 'ppc64':
      return littleEndian ? 'ppc64le' : 'ppc64';
    case 'loong64':
      return 'loongarch64';
    default:
      return nodeArch; // s390x, riscv64, mips64el, … are spelled the same
  }
}

/**
 * The architectures a query without its own arch may match, in order of preference. Without a choice,
 * this machine's and noarch; `src` alone means source packages; any other arch brings noarch with it.
 */
export function resolveArches(requested: readonly string[] | undefined): string[] {
  const list = requested && requested.length > 0 ? requested.flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean) : [rpmArch()];
  if (list.length === 1 && (list[0] === 'src' || list[0] === 'nosrc')) return ['src', 'nosrc'];
  return list.includes('noarch') ? list : [...list, 'noarch'];
}
