import type { ElementDecl, ModelGroup, Particle } from './xsd-model.ts';

/** An element a content model allows, with how often it may occur once nested groups are multiplied out. */
export interface AllowedElement {
  readonly decl: ElementDecl;
  /** The element may occur more than once here (its own maxOccurs, or a repeating group around it). */
  readonly repeats: boolean;
}

/** Every element a model group allows, in schema order, keyed by local name (first declaration wins). */
export function allowedElements(group: ModelGroup | undefined): Map<string, AllowedElement> {
  const out = new Map<string, AllowedElement>();
  const walk = (particle: Particle, repeating: boolean) => {
    if (particle.kind === 'any') return;
    if (particle.kind === 'element') {
      if (!out.has(particle.name))
        out.set(particle.name, { decl: particle, repeats: repeating || particle.maxOccurs > 1 });
      return;
    }
    for (const inner of particle.particles) walk(inner, repeating || particle.maxOccurs > 1);
  };
  if (group) walk(group, false);
  return out;
}

/** Whether a model group has an xs:any somewhere: then elements it does not name are allowed. */
export function hasWildcard(group: ModelGroup | undefined): boolean {
  if (!group) return false;
  return group.particles.some((p) => p.kind === 'any' || (p.kind !== 'element' && hasWildcard(p)));
}

/** The local names a particle can contribute, for choice checks and messages. */
export function namesOf(particle: Particle): string[] {
  if (particle.kind === 'any') return [];
  if (particle.kind === 'element') return [particle.name];
  return particle.particles.flatMap(namesOf);
}
