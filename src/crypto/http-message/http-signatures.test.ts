import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import fc from 'fast-check';
import { integer as derInteger, sequence as derSequence } from '../asn1/der-writer.js';
import { describe, expect, it } from 'vitest';
import { outcome, rejection } from '../../../test/helpers/outcome.js';
import { contentDigest, verifyContentDigest } from './content-digest.js';
import { parseDictionary, serializeInnerList } from './structured-fields/index.js';
import {
  signHttpMessage,
  signatureBase,
  verifyHttpSignature,
  type HttpMessageParts,
  type SignaturePolicy,
  type SignatureAlgorithm,
} from './http-signatures.js';

// RFC 9421 Appendix B.1 keys (test-key-rsa-pss, test-key-ecc-p256, test-key-ed25519, test-shared-secret).
const RSA_PSS_PUBLIC = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
`;
const RSA_PSS_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADALBgkqhkiG9w0BAQoEggSqMIIEpgIBAAKCAQEAr4tmm3r20Wd/Pbqv
P1s2+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry5
3mm+oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7Oyr
FAHqgDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUA
AN5WUtzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw
9lq4aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oy
c6XI2wIDAQABAoIBAQCUB8ip+kJiiZVKF8AqfB/aUP0jTAqOQewK1kKJ/iQCXBCq
pbo360gvdt05H5VZ/RDVkEgO2k73VSsbulqezKs8RFs2tEmU+JgTI9MeQJPWcP6X
aKy6LIYs0E2cWgp8GADgoBs8llBq0UhX0KffglIeek3n7Z6Gt4YFge2TAcW2WbN4
XfK7lupFyo6HHyWRiYHMMARQXLJeOSdTn5aMBP0PO4bQyk5ORxTUSeOciPJUFktQ
HkvGbym7KryEfwH8Tks0L7WhzyP60PL3xS9FNOJi9m+zztwYIXGDQuKM2GDsITeD
2mI2oHoPMyAD0wdI7BwSVW18p1h+jgfc4dlexKYRAoGBAOVfuiEiOchGghV5vn5N
RDNscAFnpHj1QgMr6/UG05RTgmcLfVsI1I4bSkbrIuVKviGGf7atlkROALOG/xRx
DLadgBEeNyHL5lz6ihQaFJLVQ0u3U4SB67J0YtVO3R6lXcIjBDHuY8SjYJ7Ci6Z6
vuDcoaEujnlrtUhaMxvSfcUJAoGBAMPsCHXte1uWNAqYad2WdLjPDlKtQJK1diCm
rqmB2g8QE99hDOHItjDBEdpyFBKOIP+NpVtM2KLhRajjcL9Ph8jrID6XUqikQuVi
4J9FV2m42jXMuioTT13idAILanYg8D3idvy/3isDVkON0X3UAVKrgMEne0hJpkPL
FYqgetvDAoGBAKLQ6JZMbSe0pPIJkSamQhsehgL5Rs51iX4m1z7+sYFAJfhvN3Q/
OGIHDRp6HjMUcxHpHw7U+S1TETxePwKLnLKj6hw8jnX2/nZRgWHzgVcY+sPsReRx
NJVf+Cfh6yOtznfX00p+JWOXdSY8glSSHJwRAMog+hFGW1AYdt7w80XBAoGBAImR
NUugqapgaEA8TrFxkJmngXYaAqpA0iYRA7kv3S4QavPBUGtFJHBNULzitydkNtVZ
3w6hgce0h9YThTo/nKc+OZDZbgfN9s7cQ75x0PQCAO4fx2P91Q+mDzDUVTeG30mE
t2m3S0dGe47JiJxifV9P3wNBNrZGSIF3mrORBVNDAoGBAI0QKn2Iv7Sgo4T/XjND
dl2kZTXqGAk8dOhpUiw/HdM3OGWbhHj2NdCzBliOmPyQtAr770GITWvbAI+IRYyF
S7Fnk6ZVVVHsxjtaHy1uJGFlaZzKR4AGNaUTOJMs6NadzCmGPAxNQQOCqoUjn4XR
rOjr9w349JooGXhOxbu8nOxX
-----END PRIVATE KEY-----
`;
const ECC_P256_PUBLIC = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----
`;
const ECC_P256_PRIVATE = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIFKbhfNZfpDsW43+0+JjUr9K+bTeuxopu653+hBaXGA7oAoGCCqGSM49
AwEHoUQDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lfw0EkjqF7xB4FivAxzic30tMM
4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END EC PRIVATE KEY-----
`;
const ED25519_PUBLIC = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
`;
const ED25519_PRIVATE = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
`;
const SHARED_SECRET = 'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==';

/** RFC 9421 Appendix B.2 signatures, §2.4 `reqres` and B.3 `ttrp`: Signature-Input and Signature members and the signature base lines. */
const VECTORS = {
  'sig-b21': {
    input: 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    signature:
      'sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:',
    base: ['"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'],
  },
  'sig-b22': {
    input:
      'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    signature:
      'sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:',
    base: [
      '"@authority": example.com',
      '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      '"@query-param";name="Pet": dog',
      '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    ],
  },
  'sig-b23': {
    input:
      'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    signature:
      'sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:',
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@query": ?param=Value&Pet=dog',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ],
  },
  'sig-b24': {
    input:
      'sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
    signature: 'sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:',
    base: [
      '"@status": 200',
      '"content-type": application/json',
      '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
      '"content-length": 23',
      '"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
    ],
  },
  'sig-b25': {
    input: 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    signature: 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:',
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@authority": example.com',
      '"content-type": application/json',
      '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    ],
  },
  'sig-b26': {
    input:
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    signature: 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    ],
  },
  reqres: {
    input:
      'reqres=("@status" "content-length" "content-type" "signature";req;key="sig1" "@authority";req "@method";req);created=1618884479;keyid="test-key-ecc-p256"',
    signature: 'reqres=:mh17P4TbYYBmBwsXPT4nsyVzW4Rp9Fb8WcvnfqKCQLoMvzOBLD/n32tL/GPW6XE5GAS5bdsg1khK6lBzV1Cx/Q==:',
    base: [
      '"@status": 503',
      '"content-length": 62',
      '"content-type": application/json',
      '"signature";req;key="sig1": :LAH8BjcfcOcLojiuOBFWn0P5keD3xAOuJRGziCLuD8r5MW9S0RoXXLzLSRfGY/3SF8kVIkHjE13SEFdTo4Af/fJ/Pu9wheqoLVdwXyY/UkBIS1M8Brc8IODsn5DFIrG0IrburbLi0uCc+E2ZIIb6HbUJ+o+jP58JelMTe0QE3IpWINTEzpxjqDf5/Df+InHCAkQCTuKsamjWXUpyOT1Wkxi7YPVNOjW4MfNuTZ9HdbD2Tr65+BXeTG9ZS/9SWuXAc+BZ8WyPz0QRz//ec3uWXd7bYYODSjRAxHqX+S1ag3LZElYyUKaAIjZ8MGOt4gXEwCSLDv/zqxZeWLj/PDkn6w==:',
      '"@authority";req: example.com',
      '"@method";req: POST',
      '"@signature-params": ("@status" "content-length" "content-type" "signature";req;key="sig1" "@authority";req "@method";req);created=1618884479;keyid="test-key-ecc-p256"',
    ],
  },
  ttrp: {
    input: 'ttrp=("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256"',
    signature: 'ttrp=:xVMHVpawaAC/0SbHrKRs9i8I3eOs5RtTMGCWXm/9nvZzoHsIg6Mce9315T6xoklyy0yzhD9ah4JHRwMLOgmizw==:',
    base: [
      '"@path": /foo',
      '"@query": ?param=Value&Pet=dog',
      '"@method": POST',
      '"@authority": service.internal.example',
      '"client-cert": :MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGUxGzAZBgNVBAMMEkxBIEludGVybWVkaWF0ZSBDQTAeFw0yMDAxMTQyMjU1MzNaFw0yMTAxMjMyMjU1MzNaMA0xCzAJBgNVBAMMAkJDMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YnXXfaUgmnMtOXU/IncWalRhebrXmckC8vdgJ1p5Be5F/3YC8OthxM4+k1M6aEAEFcGzkJiNy6J84y7uzo9M6NyMHAwCQYDVR0TBAIwADAfBgNVHSMEGDAWgBRm3WjLa38lbEYCuiCPct0ZaSED2DAOBgNVHQ8BAf8EBAMCBsAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0RAQH/BBMwEYEPYmRjQGV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUCIBHda/r1vaL6G3VliL4/Di6YK0Q6bMjeSkC3dFCOOB8TAiEAx/kHSB4urmiZ0NX5r5XarmPk0wmuydBVoU4hBVZ1yhk=:',
      '"@signature-params": ("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256"',
    ],
  },
} as const;

type VectorLabel = keyof typeof VECTORS;
const baseOf = (label: VectorLabel) => VECTORS[label].base.join('\n');

const RSA_PSS = createPublicKey(RSA_PSS_PUBLIC);
const RSA_PSS_KEY = createPrivateKey(RSA_PSS_PRIVATE);
const ECC = createPublicKey(ECC_P256_PUBLIC);
const ECC_KEY = createPrivateKey(ECC_P256_PRIVATE);
const ED = createPublicKey(ED25519_PUBLIC);
const ED_KEY = createPrivateKey(ED25519_PRIVATE);
const SECRET = createSecretKey(Buffer.from(SHARED_SECRET, 'base64'));

const CREATED = 1618884473;
const AT_CREATED = (CREATED + 5) * 1000;

const signatureFields = (label: VectorLabel | undefined) =>
  label === undefined ? {} : { 'signature-input': VECTORS[label].input, signature: VECTORS[label].signature };

/** RFC 9421 test-request: POST https://example.com/foo?param=Value&Pet=dog with the 18-byte body {"hello": "world"}. */
function testRequest(label?: VectorLabel): HttpMessageParts {
  return {
    method: 'POST',
    target: '/foo?param=Value&Pet=dog',
    authority: 'example.com',
    scheme: 'https',
    headers: {
      host: 'example.com',
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-digest':
        'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      'content-length': '18',
      ...signatureFields(label),
    },
  };
}

/** RFC 9421 test-response: 200 with the 23-byte body {"message": "good dog"}. */
function testResponse(label?: VectorLabel): HttpMessageParts {
  return {
    status: 200,
    headers: {
      date: 'Tue, 20 Apr 2021 02:07:56 GMT',
      'content-type': 'application/json',
      'content-digest':
        'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
      'content-length': '23',
      ...signatureFields(label),
    },
  };
}

/** RFC 9421 B.3: the request as forwarded by the TLS-terminating proxy, Client-Cert added. */
function ttrpRequest(): HttpMessageParts {
  const clientCert = VECTORS.ttrp.base[4].slice('"client-cert": '.length);
  return {
    method: 'POST',
    target: '/foo?param=Value&Pet=dog',
    authority: 'service.internal.example',
    scheme: 'https',
    headers: {
      host: 'service.internal.example',
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-length': '18',
      'client-cert': clientCert,
      ...signatureFields('ttrp'),
    },
  };
}

const sigBytes = (member: string) => Buffer.from(member.slice(member.indexOf('=:') + 2, -1), 'base64');
const withSignature = (label: string, bytes: Buffer) => `${label}=:${bytes.toString('base64')}:`;
const flipped = (bytes: Buffer, at = 10) => {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

interface B2Case {
  label: VectorLabel;
  message: (label?: VectorLabel) => HttpMessageParts;
  key: KeyObject;
  algorithm: SignatureAlgorithm;
  components: string[];
  params: { created: number; keyid: string; nonce?: string; tag?: string };
}

const B2: B2Case[] = [
  {
    label: 'sig-b21',
    message: testRequest,
    key: RSA_PSS,
    algorithm: 'rsa-pss-sha512',
    components: [],
    params: { created: CREATED, keyid: 'test-key-rsa-pss', nonce: 'b3k2pp5k7z-50gnwp.yemd' },
  },
  {
    label: 'sig-b22',
    message: testRequest,
    key: RSA_PSS,
    algorithm: 'rsa-pss-sha512',
    components: ['@authority', 'content-digest', '@query-param;name="Pet"'],
    params: { created: CREATED, keyid: 'test-key-rsa-pss', tag: 'header-example' },
  },
  {
    label: 'sig-b23',
    message: testRequest,
    key: RSA_PSS,
    algorithm: 'rsa-pss-sha512',
    components: [
      'date',
      '@method',
      '@path',
      '@query',
      '@authority',
      'content-type',
      'content-digest',
      'content-length',
    ],
    params: { created: CREATED, keyid: 'test-key-rsa-pss' },
  },
  {
    label: 'sig-b24',
    message: testResponse,
    key: ECC,
    algorithm: 'ecdsa-p256-sha256',
    components: ['@status', 'content-type', 'content-digest', 'content-length'],
    params: { created: CREATED, keyid: 'test-key-ecc-p256' },
  },
  {
    label: 'sig-b25',
    message: testRequest,
    key: SECRET,
    algorithm: 'hmac-sha256',
    components: ['date', '@authority', 'content-type'],
    params: { created: CREATED, keyid: 'test-shared-secret' },
  },
  {
    label: 'sig-b26',
    message: testRequest,
    key: ED,
    algorithm: 'ed25519',
    components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
    params: { created: CREATED, keyid: 'test-key-ed25519' },
  },
];

const rfcPolicy = (c: B2Case): SignaturePolicy => ({
  label: c.label,
  requiredComponents: c.components,
  algorithms: [c.algorithm],
  now: AT_CREATED,
  maxAgeSeconds: 300,
  requireKeyId: c.params.keyid,
});

describe('RFC 9421 Appendix B.2 vectors', () => {
  it.each(B2)('$label verifies with the RFC key over the byte-exact base', (c) => {
    const verified = verifyHttpSignature(c.message(c.label), rfcPolicy(c), c.key);
    expect(verified.base).toBe(baseOf(c.label));
    expect(verified).toMatchObject({ label: c.label, components: c.components, algorithm: c.algorithm, ...c.params });
    expect(verified.alg).toBeUndefined();
  });

  it.each(B2)('signatureBase rebuilds the $label base byte-exact from components and parameters', (c) => {
    expect(signatureBase(c.message(), c.components, c.params)).toBe(baseOf(c.label));
  });

  it.each(B2)('$label with one flipped signature bit is SIGNATURE_INVALID', (c) => {
    const message = c.message(c.label);
    message.headers.signature = withSignature(c.label, flipped(sigBytes(VECTORS[c.label].signature)));
    expect(outcome(() => verifyHttpSignature(message, rfcPolicy(c), c.key))).toBe('TRUST SIGNATURE_INVALID');
  });

  it('test-request: the Content-Digest sha-512 matches the 18-byte body and test-response the 23-byte body', () => {
    expect(() =>
      verifyContentDigest(testRequest().headers['content-digest'] as string, Buffer.from('{"hello": "world"}'), {
        required: ['sha-512'],
      }),
    ).not.toThrow();
    expect(() =>
      verifyContentDigest(testResponse().headers['content-digest'] as string, Buffer.from('{"message": "good dog"}'), {
        required: ['sha-512'],
      }),
    ).not.toThrow();
  });

  // The deterministic algorithms: the signature itself must come out byte-exact.
  it.each([
    {
      name: 'B.2.5 (hmac-sha256)',
      label: 'sig-b25',
      components: ['date', '@authority', 'content-type'],
      key: SECRET,
      algorithm: 'hmac-sha256',
      keyid: 'test-shared-secret',
    },
    {
      name: 'B.2.6 (ed25519)',
      label: 'sig-b26',
      components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      key: ED_KEY,
      algorithm: 'ed25519',
      keyid: 'test-key-ed25519',
    },
  ] as const)('re-signs $name byte-exact', ({ label, components, key, algorithm, keyid }) => {
    const signed = signHttpMessage(testRequest(), {
      label,
      components: [...components],
      key,
      algorithm,
      created: CREATED,
      keyid,
      includeAlg: false,
    });
    expect(signed.signatureInput).toBe(VECTORS[label].input);
    expect(signed.signature).toBe(VECTORS[label].signature);
    expect(signed.base).toBe(baseOf(label));
  });

  it('re-signs B.2.3 (rsa-pss-sha512, random salt): same input and base, PSS with a 64-byte salt', () => {
    const c = B2[2]!;
    const signed = signHttpMessage(testRequest(), {
      label: c.label,
      components: c.components,
      key: RSA_PSS_KEY,
      algorithm: 'rsa-pss-sha512',
      ...c.params,
      includeAlg: false,
    });
    expect(signed.signatureInput).toBe(VECTORS['sig-b23'].input);
    expect(signed.base).toBe(baseOf('sig-b23'));
    expect(signed.signature).not.toBe(VECTORS['sig-b23'].signature);
    // Independent check with node:crypto: PSS, SHA-512, salt length exactly 64.
    expect(
      cryptoVerify(
        'sha512',
        Buffer.from(signed.base),
        { key: RSA_PSS, padding: 6, saltLength: 64 },
        sigBytes(signed.signature),
      ),
    ).toBe(true);
    const message = {
      ...testRequest(),
      headers: { ...testRequest().headers, 'signature-input': signed.signatureInput, signature: signed.signature },
    };
    expect(verifyHttpSignature(message, rfcPolicy(c), RSA_PSS).base).toBe(baseOf('sig-b23'));
  });

  it('re-signs B.2.4 (ecdsa-p256-sha256, random k): same input and base, 64-byte r‖s', () => {
    const c = B2[3]!;
    const signed = signHttpMessage(testResponse(), {
      label: c.label,
      components: c.components,
      key: ECC_KEY,
      algorithm: 'ecdsa-p256-sha256',
      ...c.params,
      includeAlg: false,
    });
    expect(signed.signatureInput).toBe(VECTORS['sig-b24'].input);
    expect(signed.base).toBe(baseOf('sig-b24'));
    expect(sigBytes(signed.signature)).toHaveLength(64);
    expect(
      cryptoVerify(
        'sha256',
        Buffer.from(signed.base),
        { key: ECC, dsaEncoding: 'ieee-p1363' },
        sigBytes(signed.signature),
      ),
    ).toBe(true);
  });
});

describe('RFC 9421 §2.4 reqres and B.3 ttrp (ecdsa-p256-sha256)', () => {
  it('B.3 ttrp verifies with test-key-ecc-p256 over the byte-exact base', () => {
    const verified = verifyHttpSignature(
      ttrpRequest(),
      {
        label: 'ttrp',
        requiredComponents: ['@path', '@query', '@method', '@authority', 'client-cert'],
        algorithms: ['ecdsa-p256-sha256'],
        now: AT_CREATED,
        maxAgeSeconds: 60,
      },
      ECC,
    );
    expect(verified.base).toBe(baseOf('ttrp'));
    expect(verified.keyid).toBe('test-key-ecc-p256');
  });

  it('B.3 ttrp fails against the authority the client used (example.com)', () => {
    const message = { ...ttrpRequest(), authority: 'example.com' };
    expect(
      outcome(() =>
        verifyHttpSignature(
          message,
          { label: 'ttrp', requiredComponents: [], algorithms: ['ecdsa-p256-sha256'], now: AT_CREATED },
          ECC,
        ),
      ),
    ).toBe('TRUST SIGNATURE_INVALID');
  });

  it('§2.4 reqres covers "signature";req;key="sig1" and "@authority";req: rejected as unsupported', () => {
    const response: HttpMessageParts = {
      status: 503,
      headers: { 'content-type': 'application/json', 'content-length': '62', ...signatureFields('reqres') },
    };
    const error = rejection(() =>
      verifyHttpSignature(
        response,
        { label: 'reqres', requiredComponents: [], algorithms: ['ecdsa-p256-sha256'], now: (1618884479 + 5) * 1000 },
        ECC,
      ),
    );
    expect(`${error.category} ${error.code}`).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(error.detail).toContain('unsupported component parameter req');
    expect(outcome(() => signatureBase(response, ['@authority;req']))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it.each(['sf', 'bs', 'tr', 'req'])('component parameter ;%s is rejected as unsupported', (parameter) => {
    const message = testRequest();
    message.headers['signature-input'] = `sig=("content-type";${parameter});created=${CREATED}`;
    message.headers.signature = `sig=:${Buffer.alloc(64).toString('base64')}:`;
    const error = rejection(() =>
      verifyHttpSignature(
        message,
        { label: 'sig', requiredComponents: [], algorithms: ['ecdsa-p256-sha256'], now: AT_CREATED },
        ECC,
      ),
    );
    expect(`${error.category} ${error.code}`).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(error.detail).toContain(`unsupported component parameter ${parameter}`);
  });
});

/** r ‖ s as a DER ECDSA-Sig-Value (what Java's SHA256withECDSA produces). */
const rawToDer = (raw: Buffer) =>
  derSequence(
    derInteger(BigInt(`0x${raw.subarray(0, raw.length / 2).toString('hex')}`)),
    derInteger(BigInt(`0x${raw.subarray(raw.length / 2).toString('hex')}`)),
  );

describe('DER-encoded ECDSA signatures (ecdsaEncodings)', () => {
  const ttrpPolicy = (overrides: Partial<SignaturePolicy> = {}): SignaturePolicy => ({
    label: 'ttrp',
    requiredComponents: [],
    algorithms: ['ecdsa-p256-sha256'],
    now: AT_CREATED,
    ...overrides,
  });
  const ttrpWith = (signature: Buffer): HttpMessageParts => {
    const message = ttrpRequest();
    message.headers.signature = withSignature('ttrp', signature);
    return message;
  };
  const ttrpDer = rawToDer(sigBytes(VECTORS.ttrp.signature));

  it('B.3 ttrp re-encoded as DER verifies when DER is allowed and reports the encoding', () => {
    expect(ttrpDer[0]).toBe(0x30);
    const verified = verifyHttpSignature(ttrpWith(ttrpDer), ttrpPolicy({ ecdsaEncodings: ['raw', 'der'] }), ECC);
    expect([verified.ecdsaEncoding, verified.base]).toEqual(['der', baseOf('ttrp')]);
    expect(verifyHttpSignature(ttrpRequest(), ttrpPolicy({ ecdsaEncodings: ['raw', 'der'] }), ECC).ecdsaEncoding).toBe(
      'raw',
    );
  });

  it('raw only (the default) refuses DER, DER only refuses raw', () => {
    expect(outcome(() => verifyHttpSignature(ttrpWith(ttrpDer), ttrpPolicy(), ECC))).toBe(
      'TRUST SIGNATURE_POLICY_VIOLATION',
    );
    expect(outcome(() => verifyHttpSignature(ttrpRequest(), ttrpPolicy({ ecdsaEncodings: ['der'] }), ECC))).toBe(
      'TRUST SIGNATURE_POLICY_VIOLATION',
    );
    expect(outcome(() => verifyHttpSignature(ttrpWith(ttrpDer), ttrpPolicy({ ecdsaEncodings: ['der'] }), ECC))).toBe(
      'accepted',
    );
  });

  it("signs DER with ecdsaEncoding 'der' as node:crypto's dsaEncoding 'der' does (Java's SHA256withECDSA)", () => {
    const signed = signHttpMessage(walletRequest(), {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
      ecdsaEncoding: 'der',
    });
    const bytes = sigBytes(signed.signature);
    expect(cryptoVerify('sha256', Buffer.from(signed.base), { key: wallet.publicKey, dsaEncoding: 'der' }, bytes)).toBe(
      true,
    );
    const message = signWallet(walletRequest(), { ecdsaEncoding: 'der' });
    expect(
      verifyHttpSignature(message, mdvmPolicy({ ecdsaEncodings: ['raw', 'der'] }), wallet.publicKey).ecdsaEncoding,
    ).toBe('der');
    expect(verifyWallet(message, { ecdsaEncodings: ['raw', 'der'] }, other.publicKey)).toBe('TRUST SIGNATURE_INVALID');
  });

  it('DER that is not strict (long-form length, trailing data, negative or oversized integers) is SIGNATURE_MALFORMED', () => {
    const [r, s] = [sigBytes(VECTORS.ttrp.signature).subarray(0, 32), sigBytes(VECTORS.ttrp.signature).subarray(32)];
    const content = ttrpDer.subarray(2);
    const negative = Buffer.from(r);
    negative[0] = negative[0]! | 0x80;
    const cases = [
      Buffer.concat([Buffer.of(0x30, 0x81, content.length), content]),
      Buffer.concat([ttrpDer, Buffer.of(0)]),
      derSequence(Buffer.concat([Buffer.of(0x02, 32), negative]), derInteger(BigInt(`0x${s.toString('hex')}`))),
      derSequence(derInteger(1n << 256n), derInteger(BigInt(`0x${s.toString('hex')}`))),
      derSequence(derInteger(BigInt(`0x${r.toString('hex')}`))),
    ];
    for (const bytes of cases) {
      expect(outcome(() => verifyHttpSignature(ttrpWith(bytes), ttrpPolicy({ ecdsaEncodings: ['der'] }), ECC))).toBe(
        'CONTENT SIGNATURE_MALFORMED',
      );
    }
  });

  it('requireAlg refuses a signature without alg (which otherwise takes the algorithm from the key)', () => {
    const message = signWallet(walletRequest(), { includeAlg: false });
    expect(message.headers['signature-input']).not.toContain('alg=');
    expect(verifyWallet(message)).toBe('accepted');
    expect(verifyWallet(message, { requireAlg: true })).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    expect(verifyWallet(signWallet(walletRequest()), { requireAlg: true })).toBe('accepted');
  });
});

describe('derived components and field values (RFC 9421 §2.1, §2.2)', () => {
  const line = (message: HttpMessageParts, component: string) => signatureBase(message, [component]).split('\n')[0];
  const request = (target: string, extra: Partial<HttpMessageParts> = {}): HttpMessageParts => ({
    method: 'POST',
    target,
    authority: 'www.example.com',
    scheme: 'https',
    headers: {},
    ...extra,
  });

  it('derives the RFC §2.2 examples for POST /path?param=value at www.example.com', () => {
    const message = request('/path?param=value');
    expect(line(message, '@method')).toBe('"@method": POST');
    expect(line(message, '@target-uri')).toBe('"@target-uri": https://www.example.com/path?param=value');
    expect(line(message, '@authority')).toBe('"@authority": www.example.com');
    expect(line(message, '@scheme')).toBe('"@scheme": https');
    expect(line(message, '@request-target')).toBe('"@request-target": /path?param=value');
    expect(line(message, '@path')).toBe('"@path": /path');
    expect(line(message, '@query')).toBe('"@query": ?param=value');
  });

  it('keeps the method case and the path as sent (no dot-segment removal, no decoding)', () => {
    const message = request('/a/../b/./c%7e%2F?x=%41', { method: 'post' });
    expect(line(message, '@method')).toBe('"@method": post');
    expect(line(message, '@path')).toBe('"@path": /a/../b/./c%7e%2F');
    expect(line(message, '@query')).toBe('"@query": ?x=%41');
  });

  it('@query is "?" when the query is absent or empty', () => {
    expect(line(request('/path'), '@query')).toBe('"@query": ?');
    expect(line(request('/path?'), '@query')).toBe('"@query": ?');
  });

  it('absolute-form and asterisk-form targets', () => {
    const absolute = request('https://www.example.com?x=1');
    expect(line(absolute, '@path')).toBe('"@path": /');
    expect(line(absolute, '@query')).toBe('"@query": ?x=1');
    expect(line(absolute, '@target-uri')).toBe('"@target-uri": https://www.example.com?x=1');
    const asterisk = request('*', { method: 'OPTIONS' });
    expect(line(asterisk, '@request-target')).toBe('"@request-target": *');
    expect(line(asterisk, '@target-uri')).toBe('"@target-uri": https://www.example.com');
    expect(outcome(() => line(request('www.example.com:443'), '@path'))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('@authority is lowercased and drops only the scheme default port', () => {
    expect(line(request('/', { authority: 'WWW.Example.COM:443' }), '@authority')).toBe(
      '"@authority": www.example.com',
    );
    expect(line(request('/', { authority: 'www.example.com:8443' }), '@authority')).toBe(
      '"@authority": www.example.com:8443',
    );
    expect(line(request('/', { authority: 'www.example.com:80' }), '@authority')).toBe(
      '"@authority": www.example.com:80',
    );
    expect(line(request('/', { authority: 'www.example.com:80', scheme: 'HTTP' }), '@authority')).toBe(
      '"@authority": www.example.com',
    );
    expect(line(request('/', { scheme: 'HTTPS' }), '@scheme')).toBe('"@scheme": https');
  });

  it('@query-param follows the RFC §2.2.8 examples', () => {
    const simple = request('/path?param=value&foo=bar&baz=batman&qux=');
    expect(line(simple, '@query-param;name="baz"')).toBe('"@query-param";name="baz": batman');
    expect(line(simple, '@query-param;name="qux"')).toBe('"@query-param";name="qux": ');
    const encoded = request(
      '/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something',
    );
    expect(line(encoded, '@query-param;name="var"')).toBe(
      '"@query-param";name="var": this%20is%20a%20big%0Amultiline%20value',
    );
    expect(line(encoded, '@query-param;name="bar"')).toBe('"@query-param";name="bar": with%20plus%20whitespace');
    expect(line(encoded, '@query-param;name="fa%C3%A7ade%22%3A%20"')).toBe(
      '"@query-param";name="fa%C3%A7ade%22%3A%20": something',
    );
  });

  it('@query-param that is absent or repeated (also via encoding) is SIGNATURE_MALFORMED', () => {
    expect(outcome(() => line(request('/p?a=1'), '@query-param;name="b"'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/p'), '@query-param;name="a"'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/p?a=1&a=2'), '@query-param;name="a"'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/p?a=1&%61=2'), '@query-param;name="a"'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/p?a=1'), '@query-param'))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('@status is the three-digit code; request components are missing on a response', () => {
    expect(line({ status: 503, headers: {} }, '@status')).toBe('"@status": 503');
    expect(outcome(() => line({ status: 2000, headers: {} }, '@status'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line({ status: 200, headers: {} }, '@method'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/'), '@status'))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('combines field lines with ", " after trimming each (RFC 9421 §2.1)', () => {
    const message = request('/', {
      headers: {
        'cache-control': ['max-age=60', '   must-revalidate'],
        'x-ows-header': '  Leading and trailing whitespace.  ',
        'x-empty-header': '',
      },
    });
    expect(line(message, 'cache-control')).toBe('"cache-control": max-age=60, must-revalidate');
    expect(line(message, 'x-ows-header')).toBe('"x-ows-header": Leading and trailing whitespace.');
    expect(line(message, 'x-empty-header')).toBe('"x-empty-header": ');
  });

  it('rejects CR, LF, NUL and non-ASCII field values, and fields missing from the message', () => {
    for (const value of [
      'caf\u00e9',
      'a\r\nb',
      'a\nb',
      'a\u0000b',
      '\u{1F600}',
      'trailing-lf\n',
      '\u000bvt',
      '\u00a0nbsp',
    ]) {
      expect(outcome(() => line(request('/', { headers: { 'x-h': value } }), 'x-h'))).toBe(
        'CONTENT SIGNATURE_MALFORMED',
      );
    }
    expect(outcome(() => line(request('/', { headers: { 'x-h': ['ok', 'caf\u00e9'] } }), 'x-h'))).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
    expect(outcome(() => line(request('/'), 'x-missing'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/', { headers: { 'x-h': [] } }), 'x-h'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/'), 'constructor'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/a b'), '@path'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => line(request('/a#frag'), '@path'))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('rejects uppercase, unknown derived, @signature-params and duplicate components', () => {
    const message = request('/', { headers: { date: 'x' } });
    for (const component of ['Date', '@Method', '@foo', '@signature-params', 'da te', '']) {
      expect(outcome(() => signatureBase(message, [component]))).toBe('CONTENT SIGNATURE_MALFORMED');
    }
    expect(outcome(() => signatureBase(message, ['date', '@method', 'date']))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(outcome(() => signatureBase(request('/?a=1&b=2'), ['@query-param;name="a"', '@query-param;name="a"']))).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
    expect(signatureBase(request('/?a=1&b=2'), ['@query-param;name="a"', '@query-param;name="b"'])).toContain(
      '"@query-param";name="b": 2',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// MDVM: ecdsa-p256-sha256, label mdvm-auth-sig, keyid wi-mdvm-auth-key.

const MDVM_LABEL = 'mdvm-auth-sig';
const MDVM_KEYID = 'wi-mdvm-auth-key';
const MDVM_COMPONENTS = ['@method', '@path', 'auth-challenge', 'content-digest'];
const T = 1_700_000_000;
const wallet = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const ed = generateKeyPairSync('ed25519');
const BODY = Buffer.from('{"wi_mdvm_auth_pubk":"MFkw","wi_device_class":{"model":"Pixel 9"}}');
const CHALLENGE = 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF1dGgtY2hhbGxlbmdlK2p3dCJ9.eyJub25jZSI6IjEyMyJ9.c2lnbmF0dXJl';

function walletRequest(
  overrides: Partial<HttpMessageParts> = {},
  headers: HttpMessageParts['headers'] = {},
): HttpMessageParts {
  return {
    method: 'POST',
    target: '/v1/mdvm/android/register',
    authority: 'mdvm.example',
    scheme: 'https',
    ...overrides,
    headers: {
      'auth-challenge': CHALLENGE,
      'content-digest': contentDigest(BODY),
      'content-type': 'application/json',
      ...headers,
    },
  };
}

type SignOptions = Parameters<typeof signHttpMessage>[1];

/** Signs `message` as the wallet does and returns it with Signature-Input and Signature set. */
function signWallet(message: HttpMessageParts, options: Partial<SignOptions> = {}): HttpMessageParts {
  const signed = signHttpMessage(message, {
    label: MDVM_LABEL,
    components: MDVM_COMPONENTS,
    key: wallet.privateKey,
    algorithm: 'ecdsa-p256-sha256',
    keyid: MDVM_KEYID,
    created: T,
    ...options,
  });
  return {
    ...message,
    headers: { ...message.headers, 'signature-input': signed.signatureInput, signature: signed.signature },
  };
}

const mdvmPolicy = (overrides: Partial<SignaturePolicy> = {}): SignaturePolicy => ({
  label: MDVM_LABEL,
  requiredComponents: MDVM_COMPONENTS,
  algorithms: ['ecdsa-p256-sha256'],
  now: (T + 10) * 1000,
  maxAgeSeconds: 300,
  maxSkewSeconds: 30,
  requireKeyId: MDVM_KEYID,
  ...overrides,
});

const verifyWallet = (
  message: HttpMessageParts,
  overrides: Partial<SignaturePolicy> = {},
  key: KeyObject = wallet.publicKey,
) => outcome(() => verifyHttpSignature(message, mdvmPolicy(overrides), key));

/** Replaces `search` in the Signature-Input (which must contain it). */
function editInput(message: HttpMessageParts, search: string, replacement: string): HttpMessageParts {
  const input = message.headers['signature-input'] as string;
  expect(input).toContain(search);
  return { ...message, headers: { ...message.headers, 'signature-input': input.replace(search, replacement) } };
}

describe('MDVM ecdsa-p256-sha256 sign → verify', () => {
  it('signs the canonical Signature-Input and a 64-byte r‖s signature that verifies', () => {
    const message = walletRequest();
    const signed = signHttpMessage(message, {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    expect(signed.signatureInput).toBe(
      'mdvm-auth-sig=("@method" "@path" "auth-challenge" "content-digest");created=1700000000;keyid="wi-mdvm-auth-key";alg="ecdsa-p256-sha256"',
    );
    expect(signed.signature).toMatch(/^mdvm-auth-sig=:[A-Za-z0-9+/]{86}==:$/);
    expect(sigBytes(signed.signature)).toHaveLength(64);
    expect(signed.base.split('\n')).toEqual([
      '"@method": POST',
      '"@path": /v1/mdvm/android/register',
      `"auth-challenge": ${CHALLENGE}`,
      `"content-digest": ${message.headers['content-digest'] as string}`,
      `"@signature-params": ${signed.signatureInput.slice(`${MDVM_LABEL}=`.length)}`,
    ]);
    // Independent of our verifier: node:crypto over the base, raw r‖s.
    expect(
      cryptoVerify(
        'sha256',
        Buffer.from(signed.base),
        { key: wallet.publicKey, dsaEncoding: 'ieee-p1363' },
        sigBytes(signed.signature),
      ),
    ).toBe(true);

    const verified = verifyHttpSignature(
      {
        ...message,
        headers: { ...message.headers, 'signature-input': signed.signatureInput, signature: signed.signature },
      },
      mdvmPolicy(),
      wallet.publicKey,
    );
    expect(verified).toEqual({
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      algorithm: 'ecdsa-p256-sha256',
      ecdsaEncoding: 'raw',
      created: T,
      keyid: MDVM_KEYID,
      alg: 'ecdsa-p256-sha256',
      base: signed.base,
    });
    expect(() => verifyContentDigest(message.headers['content-digest'] as string, BODY)).not.toThrow();
  });

  it('builds the same base as an independent implementation (http-message-signatures 1.0.6 output in the research notes)', () => {
    const message: HttpMessageParts = {
      method: 'POST',
      target: '/session/auth',
      headers: {
        'auth-challenge': 'c-123',
        'content-digest': 'sha-256=:doWWW9Na8XglVyikPtsA7TSLJxe2Y//HN2pUfhMVkPk=:',
      },
    };
    expect(
      signatureBase(message, MDVM_COMPONENTS, { created: 1700000000, keyid: 'wallet-key-1', alg: 'ecdsa-p256-sha256' }),
    ).toBe(
      [
        '"@method": POST',
        '"@path": /session/auth',
        '"auth-challenge": c-123',
        '"content-digest": sha-256=:doWWW9Na8XglVyikPtsA7TSLJxe2Y//HN2pUfhMVkPk=:',
        '"@signature-params": ("@method" "@path" "auth-challenge" "content-digest");created=1700000000;keyid="wallet-key-1";alg="ecdsa-p256-sha256"',
      ].join('\n'),
    );
  });

  it('round-trips with the RFC test-key-ecc-p256, and renewals with mdvm-wi-id and mdvm-reattest-sig', () => {
    const renewal = walletRequest(
      { target: '/v1/mdvm/android/renewal' },
      { 'mdvm-wi-id': '5f0c6d6e-1f7e-4f7b-9b1e-2d5c0c1b7a11' },
    );
    const components = ['@method', '@path', 'mdvm-wi-id', 'auth-challenge', 'content-digest'];
    const first = signHttpMessage(renewal, {
      label: MDVM_LABEL,
      components,
      key: ECC_KEY,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    const second = signHttpMessage(renewal, {
      label: 'mdvm-reattest-sig',
      components,
      key: other.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      created: T,
    });
    const message = {
      ...renewal,
      headers: {
        ...renewal.headers,
        'signature-input': [first.signatureInput, second.signatureInput],
        signature: `${first.signature}, ${second.signature}`,
      },
    };
    expect(verifyHttpSignature(message, mdvmPolicy({ requiredComponents: components }), ECC).components).toEqual(
      components,
    );
    const reattest = verifyHttpSignature(
      message,
      mdvmPolicy({ label: 'mdvm-reattest-sig', requiredComponents: components, requireKeyId: undefined }),
      other.publicKey,
    );
    expect(reattest.label).toBe('mdvm-reattest-sig');
    expect(reattest.keyid).toBeUndefined();
    // Each key only verifies its own label.
    expect(verifyWallet(message, { requiredComponents: components }, other.publicKey)).toBe('TRUST SIGNATURE_INVALID');
  });

  it('accepts created within the skew and exactly maxAge old, without maxAge any age', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(message, { now: (T - 30) * 1000 })).toBe('accepted');
    expect(verifyWallet(message, { now: (T + 300) * 1000 })).toBe('accepted');
    expect(verifyWallet(message, { now: (T + 86_400) * 1000, maxAgeSeconds: undefined })).toBe('accepted');
  });
});

describe('MDVM negative cases', () => {
  it('a corrupted mdvm-auth-sig is not masked by a valid signature under another label (either order)', () => {
    const message = walletRequest();
    const wanted = signHttpMessage(message, {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    const decoy = signHttpMessage(message, {
      label: 'other',
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    const corrupted = withSignature(MDVM_LABEL, flipped(sigBytes(wanted.signature)));
    for (const [inputs, signatures] of [
      [`${wanted.signatureInput}, ${decoy.signatureInput}`, `${corrupted}, ${decoy.signature}`],
      [`${decoy.signatureInput}, ${wanted.signatureInput}`, `${decoy.signature}, ${corrupted}`],
    ]) {
      const both = { ...message, headers: { ...message.headers, 'signature-input': inputs, signature: signatures } };
      expect(verifyWallet(both)).toBe('TRUST SIGNATURE_INVALID');
      expect(verifyWallet(both, { label: 'other' })).toBe('accepted'); // the decoy itself is valid
    }
  });

  it('the label repeated in a second field line is SIGNATURE_MALFORMED (no last-wins)', () => {
    const message = walletRequest();
    const first = signHttpMessage(message, {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    const second = signHttpMessage(message, {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T + 1,
    });
    const lines = {
      ...message,
      headers: {
        ...message.headers,
        'signature-input': [first.signatureInput, second.signatureInput],
        signature: [first.signature, second.signature],
      },
    };
    expect(verifyWallet(lines)).toBe('CONTENT SIGNATURE_MALFORMED');
    const onlySignature = {
      ...message,
      headers: {
        ...message.headers,
        'signature-input': first.signatureInput,
        signature: [first.signature, second.signature],
      },
    };
    expect(verifyWallet(onlySignature)).toBe('CONTENT SIGNATURE_MALFORMED');
    const joined = {
      ...message,
      headers: {
        ...message.headers,
        'signature-input': `${first.signatureInput}, ${second.signatureInput}`,
        signature: first.signature,
      },
    };
    expect(verifyWallet(joined)).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('alg as a token, created as a string or decimal, keyid as a token are SIGNATURE_MALFORMED', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(editInput(message, 'alg="ecdsa-p256-sha256"', 'alg=ecdsa-p256-sha256'))).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
    expect(verifyWallet(editInput(message, `created=${T}`, `created="${T}"`))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(verifyWallet(editInput(message, `created=${T}`, `created=${T}.0`))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(verifyWallet(editInput(message, `keyid="${MDVM_KEYID}"`, `keyid=${MDVM_KEYID}`))).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
  });

  it('duplicate signature parameters are SIGNATURE_MALFORMED', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(editInput(message, `;keyid=`, `;created=${T + 1};keyid=`))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(verifyWallet(editInput(message, `;alg=`, `;keyid="x";alg=`))).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('whitespace before ";" and other syntax errors anywhere in the field are SIGNATURE_MALFORMED', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(editInput(message, `);created=`, `) ;created=`))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(verifyWallet(editInput(message, `"@method" "@path"`, `"@method"\t"@path"`))).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
    expect(verifyWallet(editInput(message, 'keyid="wi-', 'keyid="w\u00e9i-'))).toBe('CONTENT SIGNATURE_MALFORMED');
    expect(verifyWallet(editInput(message, ';keyid=', ';\r\nkeyid='))).toBe('CONTENT SIGNATURE_MALFORMED');
    const input = message.headers['signature-input'] as string;
    for (const broken of [`${input},`, `${input}, other=(`, `${input} garbage`, `other=("a"), , ${input}`]) {
      expect(verifyWallet({ ...message, headers: { ...message.headers, 'signature-input': broken } })).toBe(
        'CONTENT SIGNATURE_MALFORMED',
      );
    }
  });

  it('a required component that is not covered is SIGNATURE_POLICY_VIOLATION; extra covered components are fine', () => {
    const uncovered = signWallet(walletRequest(), { components: ['@method', '@path', 'auth-challenge'] });
    expect(verifyWallet(uncovered)).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    const extra = signWallet(walletRequest(), { components: [...MDVM_COMPONENTS, 'content-type', '@authority'] });
    expect(verifyWallet(extra)).toBe('accepted');
    expect(() =>
      verifyHttpSignature(
        uncovered,
        mdvmPolicy({ requiredComponents: ['@method', 'Content-Digest'] }),
        wallet.publicKey,
      ),
    ).toThrow(TypeError);
  });

  it('created too old is SIGNATURE_EXPIRED, too far ahead SIGNATURE_NOT_YET_VALID', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(message, { now: (T + 301) * 1000 })).toBe('TIME SIGNATURE_EXPIRED');
    expect(verifyWallet(message, { now: (T - 31) * 1000 })).toBe('TIME SIGNATURE_NOT_YET_VALID');
    expect(verifyWallet(message, { now: (T - 31) * 1000, maxAgeSeconds: undefined })).toBe(
      'TIME SIGNATURE_NOT_YET_VALID',
    );
    expect(verifyWallet(message, { now: (T - 5) * 1000, maxSkewSeconds: 0 })).toBe('TIME SIGNATURE_NOT_YET_VALID');
  });

  it('a missing created while maxAgeSeconds is set is SIGNATURE_POLICY_VIOLATION', () => {
    const message = signWallet(walletRequest(), { created: undefined });
    expect(message.headers['signature-input']).not.toContain('created');
    expect(verifyWallet(message)).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    expect(verifyWallet(message, { maxAgeSeconds: undefined })).toBe('accepted');
  });

  it('an expires in the past (beyond the skew) is SIGNATURE_EXPIRED', () => {
    const message = signWallet(walletRequest(), { expires: T + 60 });
    expect(verifyWallet(message, { now: (T + 59) * 1000 })).toBe('accepted');
    expect(verifyWallet(message, { now: (T + 60 + 30) * 1000 })).toBe('TIME SIGNATURE_EXPIRED');
    expect(verifyWallet(message, { now: (T + 61) * 1000, maxSkewSeconds: 0 })).toBe('TIME SIGNATURE_EXPIRED');
  });

  it('a truncated or extended ECDSA signature is SIGNATURE_MALFORMED; DER is a policy violation unless allowed', () => {
    const message = walletRequest();
    const signed = signHttpMessage(message, {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      key: wallet.privateKey,
      algorithm: 'ecdsa-p256-sha256',
      keyid: MDVM_KEYID,
      created: T,
    });
    const der = cryptoSign('sha256', Buffer.from(signed.base), { key: wallet.privateKey, dsaEncoding: 'der' });
    expect(der.length).toBeGreaterThanOrEqual(68);
    expect(cryptoVerify('sha256', Buffer.from(signed.base), wallet.publicKey, der)).toBe(true); // a valid signature, wrong encoding
    const sent = (bytes: Buffer) => ({
      ...message,
      headers: {
        ...message.headers,
        'signature-input': signed.signatureInput,
        signature: withSignature(MDVM_LABEL, bytes),
      },
    });
    for (const bytes of [
      sigBytes(signed.signature).subarray(0, 63),
      Buffer.concat([sigBytes(signed.signature), Buffer.alloc(1)]),
    ]) {
      expect(verifyWallet(sent(bytes))).toBe('CONTENT SIGNATURE_MALFORMED');
    }
    expect(verifyWallet(sent(der))).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    expect(verifyWallet(sent(der), { ecdsaEncodings: ['raw', 'der'] })).toBe('accepted');
  });

  it('a tampered @path, method, auth-challenge or content-digest is SIGNATURE_INVALID', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet({ ...message, target: '/v1/mdvm/ios/register' })).toBe('TRUST SIGNATURE_INVALID');
    expect(verifyWallet({ ...message, target: '/v1/mdvm/android/register?x=1' })).toBe('accepted'); // @query is not covered
    expect(verifyWallet({ ...message, method: 'post' })).toBe('TRUST SIGNATURE_INVALID');
    expect(verifyWallet({ ...message, headers: { ...message.headers, 'auth-challenge': `${CHALLENGE}x` } })).toBe(
      'TRUST SIGNATURE_INVALID',
    );
    expect(
      verifyWallet({ ...message, headers: { ...message.headers, 'content-digest': contentDigest(Buffer.from('{}')) } }),
    ).toBe('TRUST SIGNATURE_INVALID');
  });

  it('dot segments are not normalised: a signature over /a/../b does not verify for /b', () => {
    const message = signWallet(walletRequest({ target: '/v1/mdvm/a/../register' }));
    expect(verifyWallet(message)).toBe('accepted');
    expect(verifyWallet({ ...message, target: '/v1/mdvm/register' })).toBe('TRUST SIGNATURE_INVALID');
    expect(verifyWallet({ ...message, target: '/v1/mdvm/a/%2E%2E/register' })).toBe('TRUST SIGNATURE_INVALID');
  });

  it('a non-ASCII or CR/LF covered header value is SIGNATURE_MALFORMED', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet({ ...message, headers: { ...message.headers, 'auth-challenge': 'caf\u00e9' } })).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
    expect(
      verifyWallet({ ...message, headers: { ...message.headers, 'auth-challenge': `${CHALLENGE}\r\nx-evil: 1` } }),
    ).toBe('CONTENT SIGNATURE_MALFORMED');
    // An uncovered header is not looked at.
    expect(verifyWallet({ ...message, headers: { ...message.headers, 'x-uncovered': 'caf\u00e9' } })).toBe('accepted');
  });

  it('a key that does not fit the alg is SIGNATURE_POLICY_VIOLATION', () => {
    const message = signWallet(walletRequest());
    const everyAlgorithm: SignatureAlgorithm[] = [
      'ecdsa-p256-sha256',
      'ecdsa-p384-sha384',
      'ed25519',
      'rsa-pss-sha512',
      'rsa-v1_5-sha256',
      'hmac-sha256',
    ];
    for (const key of [p384.publicKey, ed.publicKey, RSA_PSS, SECRET]) {
      expect(verifyWallet(message, { algorithms: everyAlgorithm }, key)).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    }
    // Without alg, the key selects the algorithm, which must be allowed.
    const noAlg = signWallet(walletRequest(), { includeAlg: false });
    expect(verifyWallet(noAlg)).toBe('accepted');
    expect(verifyWallet(noAlg, {}, p384.publicKey)).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    // The P-384 key selects ecdsa-p384-sha384, whose r‖s is 96 bytes: the 64-byte signature is malformed.
    expect(verifyWallet(noAlg, { algorithms: ['ecdsa-p384-sha384'] }, p384.publicKey)).toBe(
      'CONTENT SIGNATURE_MALFORMED',
    );
  });

  it('an alg outside the policy, or a wrong or missing keyid, is SIGNATURE_POLICY_VIOLATION', () => {
    const message = signWallet(walletRequest());
    expect(verifyWallet(message, { algorithms: ['ed25519'] })).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    expect(verifyWallet(editInput(message, 'alg="ecdsa-p256-sha256"', 'alg="ES256"'))).toBe(
      'TRUST SIGNATURE_POLICY_VIOLATION',
    );
    expect(verifyWallet(message, { requireKeyId: 'someone-else' })).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
    expect(verifyWallet(signWallet(walletRequest(), { keyid: undefined }))).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
  });

  it('absent fields or labels are SIGNATURE_MISSING', () => {
    const message = signWallet(walletRequest());
    const { signature, 'signature-input': input, ...rest } = message.headers;
    expect(verifyWallet({ ...message, headers: rest })).toBe('CONTENT SIGNATURE_MISSING');
    expect(verifyWallet({ ...message, headers: { ...rest, signature } })).toBe('CONTENT SIGNATURE_MISSING');
    expect(verifyWallet({ ...message, headers: { ...rest, 'signature-input': input } })).toBe(
      'CONTENT SIGNATURE_MISSING',
    );
    expect(verifyWallet(message, { label: 'mdvm-reattest-sig' })).toBe('CONTENT SIGNATURE_MISSING');
    const renamed = {
      ...message,
      headers: { ...message.headers, signature: (signature as string).replace(MDVM_LABEL, 'other') },
    };
    expect(verifyWallet(renamed)).toBe('CONTENT SIGNATURE_MISSING');
  });

  it('wrong member types, duplicate or invalid components, and uncovered message parts are SIGNATURE_MALFORMED', () => {
    const message = signWallet(walletRequest());
    const sig = message.headers.signature as string;
    const cases: [string, string][] = [
      ['signature-input', `${MDVM_LABEL}="@method";created=${T}`],
      ['signature', `${MDVM_LABEL}=("a")`],
      ['signature', `${MDVM_LABEL}=abc`],
      [
        'signature-input',
        `${MDVM_LABEL}=("@method" "@path" "@method" "auth-challenge" "content-digest");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=(@method "@path" "auth-challenge" "content-digest");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=("@Method" "@path" "auth-challenge" "content-digest");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=("@method" "@path" "auth-challenge" "content-digest" "x-absent");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=("@method" "@path" "auth-challenge" "content-digest" "@status");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=("@method" "@path" "auth-challenge" "content-digest" "@signature-params");created=${T};keyid="${MDVM_KEYID}"`,
      ],
      [
        'signature-input',
        `${MDVM_LABEL}=("@method" "@path" "auth-challenge" "content-digest");created=@${T};keyid="${MDVM_KEYID}"`,
      ],
    ];
    for (const [field, value] of cases) {
      const changed = {
        ...message,
        headers: { ...message.headers, [field]: value, ...(field === 'signature' ? {} : { signature: sig }) },
      };
      expect([value, verifyWallet(changed)]).toEqual([value, 'CONTENT SIGNATURE_MALFORMED']);
    }
  });

  it('hmac-sha256 of the wrong length is SIGNATURE_MALFORMED; a wrong secret SIGNATURE_INVALID', () => {
    const message = signWallet(walletRequest(), { key: SECRET, algorithm: 'hmac-sha256' });
    const policy = { algorithms: ['hmac-sha256'] as SignatureAlgorithm[] };
    expect(verifyWallet(message, policy, SECRET)).toBe('accepted');
    expect(verifyWallet(message, policy, createSecretKey(Buffer.alloc(64, 1)))).toBe('TRUST SIGNATURE_INVALID');
    const short = {
      ...message,
      headers: {
        ...message.headers,
        signature: withSignature(MDVM_LABEL, sigBytes(message.headers.signature as string).subarray(0, 31)),
      },
    };
    expect(verifyWallet(short, policy, SECRET)).toBe('CONTENT SIGNATURE_MALFORMED');
  });

  it('an RSA key without alg is ambiguous when both RSA algorithms are allowed', () => {
    const c = B2[2]!;
    expect(
      outcome(() =>
        verifyHttpSignature(
          testRequest(c.label),
          { ...rfcPolicy(c), algorithms: ['rsa-pss-sha512', 'rsa-v1_5-sha256'] },
          RSA_PSS,
        ),
      ),
    ).toBe('TRUST SIGNATURE_POLICY_VIOLATION');
  });

  it('round-trips every algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pairs: [SignatureAlgorithm, KeyObject, KeyObject][] = [
      ['ecdsa-p256-sha256', wallet.privateKey, wallet.publicKey],
      ['ecdsa-p384-sha384', p384.privateKey, p384.publicKey],
      ['ed25519', ed.privateKey, ed.publicKey],
      ['rsa-pss-sha512', RSA_PSS_KEY, RSA_PSS],
      ['rsa-v1_5-sha256', rsa.privateKey, rsa.publicKey],
      ['hmac-sha256', SECRET, SECRET],
    ];
    for (const [algorithm, privateKey, publicKey] of pairs) {
      const message = signWallet(walletRequest(), { key: privateKey, algorithm });
      expect([algorithm, verifyWallet(message, { algorithms: [algorithm] }, publicKey)]).toEqual([
        algorithm,
        'accepted',
      ]);
      const tampered = { ...message, method: 'PUT' };
      expect([algorithm, verifyWallet(tampered, { algorithms: [algorithm] }, publicKey)]).toEqual([
        algorithm,
        'TRUST SIGNATURE_INVALID',
      ]);
    }
    // rsa-v1_5-sha256 and rsa-pss-sha512 are not interchangeable over the same RSA key.
    const v15 = signWallet(walletRequest(), { key: rsa.privateKey, algorithm: 'rsa-v1_5-sha256', includeAlg: false });
    expect(verifyWallet(v15, { algorithms: ['rsa-pss-sha512'] }, rsa.publicKey)).toBe('TRUST SIGNATURE_INVALID');
  });

  it('signing refuses public keys, unfit keys, invalid labels and components missing from the message (TypeError)', () => {
    const base = {
      label: MDVM_LABEL,
      components: MDVM_COMPONENTS,
      algorithm: 'ecdsa-p256-sha256' as const,
      created: T,
    };
    expect(() => signHttpMessage(walletRequest(), { ...base, key: wallet.publicKey })).toThrow(TypeError);
    expect(() => signHttpMessage(walletRequest(), { ...base, key: p384.privateKey })).toThrow(TypeError);
    expect(() => signHttpMessage(walletRequest(), { ...base, key: wallet.privateKey, label: 'Mdvm' })).toThrow(
      TypeError,
    );
    expect(() =>
      signHttpMessage(walletRequest(), {
        ...base,
        key: wallet.privateKey,
        components: [...MDVM_COMPONENTS, 'x-absent'],
      }),
    ).toThrow(TypeError);
    expect(() =>
      signHttpMessage(walletRequest(), { ...base, key: wallet.privateKey, components: ['@method', '@method'] }),
    ).toThrow(TypeError);
    expect(() => signHttpMessage(walletRequest(), { ...base, key: wallet.privateKey, nonce: 'caf\u00e9' })).toThrow(
      TypeError,
    );
  });
});

describe('mutated Signature-Input', () => {
  it('is only ever accepted when it is canonically the signed member; every rejection is a KeywardError', () => {
    const message = signWallet(walletRequest());
    const input = message.headers['signature-input'] as string;
    // A field value as HTTP delivers it: without leading and trailing whitespace (OWS is SP or HTAB, RFC 9110 §5.5).
    const canonical = (value: string): string | undefined => {
      try {
        const member = parseDictionary(value.replace(/^[ \t]+|[ \t]+$/g, '')).members.get(MDVM_LABEL);
        return member?.kind === 'inner-list' ? serializeInnerList(member) : undefined;
      } catch {
        return undefined;
      }
    };
    const signed = canonical(input);
    const alphabet = fc.constantFrom(...' \t"();=,:?*-.@0123456789abcdefghijklmnopqrstuvwxyzA\u00e9'.split(''));
    const edit = fc.record({
      at: fc.nat(input.length),
      remove: fc.nat(3),
      insert: fc.string({ unit: alphabet, maxLength: 4 }),
    });
    fc.assert(
      fc.property(edit, ({ at, remove, insert }) => {
        const mutated = input.slice(0, at) + insert + input.slice(at + remove);
        const result = outcome(() =>
          verifyHttpSignature(
            { ...message, headers: { ...message.headers, 'signature-input': mutated } },
            mdvmPolicy(),
            wallet.publicKey,
          ),
        );
        if (result === 'accepted') expect(canonical(mutated)).toBe(signed);
        else expect(result).toMatch(/^(CONTENT|TRUST|TIME) SIGNATURE_[A-Z_]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});
