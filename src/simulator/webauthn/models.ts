import type { CoseAlgorithmName } from './credential-key.js';

/** The attestation statement formats the simulator produces. */
export type SimulatedFormat = 'packed' | 'tpm' | 'android-key' | 'apple' | 'fido-u2f' | 'none';
export const SIMULATED_FORMATS: readonly SimulatedFormat[] = [
  'packed',
  'tpm',
  'android-key',
  'apple',
  'fido-u2f',
  'none',
];

/** One simulated authenticator model, with its own AAGUID and metadata statement (packed comes as full and self attestation). */
export type SimulatedModel = SimulatedFormat | 'packed-self';

export interface ModelDescription {
  format: SimulatedFormat;
  /** Dashed lower-case UUID; U2F authenticators have none (all zeros) and are known by their key identifier. */
  aaguid: string;
  description: string;
  /** Credential algorithms the model can make keys for, the first being its default. */
  algorithms: readonly CoseAlgorithmName[];
  /** MDS3 attestationTypes. */
  attestationTypes: readonly string[];
  attachment: 'platform' | 'cross-platform';
  transports: readonly string[];
}

export const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

const ALL_ALGORITHMS: readonly CoseAlgorithmName[] = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
/** "keyward" in the first seven bytes, the model in the last: recognisable in logs and the console. */
const aaguid = (model: number) => `6b657977-6172-4400-8000-0000000000${model.toString(16).padStart(2, '0')}`;

/** The simulated models, their fixed AAGUIDs and what their metadata statements say. */
export const SIMULATED_MODELS: Readonly<Record<SimulatedModel, ModelDescription>> = {
  packed: {
    format: 'packed',
    aaguid: aaguid(1),
    description: 'Keyward simulator packed',
    algorithms: ALL_ALGORITHMS,
    attestationTypes: ['basic_full'],
    attachment: 'cross-platform',
    transports: ['usb'],
  },
  'packed-self': {
    format: 'packed',
    aaguid: aaguid(2),
    description: 'Keyward simulator packed self',
    algorithms: ALL_ALGORITHMS,
    attestationTypes: ['basic_surrogate'],
    attachment: 'cross-platform',
    transports: ['usb'],
  },
  tpm: {
    format: 'tpm',
    aaguid: aaguid(3),
    description: 'Keyward simulator tpm',
    algorithms: ['RS256', 'PS256', 'ES256', 'ES384'],
    attestationTypes: ['attca'],
    attachment: 'platform',
    transports: ['internal'],
  },
  'android-key': {
    format: 'android-key',
    aaguid: aaguid(4),
    description: 'Keyward simulator android-key',
    algorithms: ['ES256', 'ES384', 'RS256'],
    attestationTypes: ['basic_full'],
    attachment: 'platform',
    transports: ['internal', 'hybrid'],
  },
  apple: {
    format: 'apple',
    aaguid: aaguid(5),
    description: 'Keyward simulator apple',
    algorithms: ['ES256'],
    attestationTypes: ['anonca'],
    attachment: 'platform',
    transports: ['internal', 'hybrid'],
  },
  'fido-u2f': {
    format: 'fido-u2f',
    aaguid: ZERO_AAGUID,
    description: 'Keyward simulator fido-u2f',
    algorithms: ['ES256'],
    attestationTypes: ['basic_full'],
    attachment: 'cross-platform',
    transports: ['usb'],
  },
  none: {
    format: 'none',
    aaguid: aaguid(6),
    description: 'Keyward simulator none',
    algorithms: ALL_ALGORITHMS,
    attestationTypes: ['none'],
    attachment: 'platform',
    transports: ['internal'],
  },
};

export const modelOf = (format: SimulatedFormat, selfAttestation: boolean): SimulatedModel =>
  format === 'packed' && selfAttestation ? 'packed-self' : format;
