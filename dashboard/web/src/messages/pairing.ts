import type { Translation } from './translation.ts';

/** The gateway pairing. */
export const da = {
  title: 'Gateway i hjemmet',
  intro:
    'Gatewayen er den lille boks i hjemmet, der henter målinger fra zigbee2mqtt og sender dem hertil. Par den i ét trin: du får en kode med alt, den skal bruge (adresse, id, hemmelighed og certifikat).',
  pair: 'Par gateway',
  rePair: 'Par gateway igen (ny hemmelighed)',
  confirm: 'Gatewayen får en ny hemmelighed, og den gamle holder op med at virke. Fortsæt?',
  codeTitle: 'Parringskode for {id}',
  warning: 'Kopiér koden nu og sæt den ind på gatewayen. Den vises ikke igen.',
  codeLabel: 'Parringskode',
  command: 'Kør på gatewayen:',
  copy: 'Kopiér koden',
  copied: 'Kopieret.',
  copyFailed: 'Kunne ikke kopiere. Markér teksten og kopiér selv.',
  done: 'Jeg har brugt koden',
  paired: 'Gatewayen {id} er parret.',
  rekeyed: 'Gatewayen {id} har fået en ny hemmelighed; den gamle virker ikke længere.',
  failed: 'Parringen mislykkedes',
  tls: 'Forbindelsen er krypteret (TLS); certifikatet er med i koden.',
  noTls: 'Advarsel: platformen tilbyder ikke TLS. Brug kun dette på et lukket net.',
};

export const en: Translation<typeof da> = {
  title: 'Gateway in the home',
  intro:
    'The gateway is the small box in the home that takes readings from zigbee2mqtt and sends them here. Pair it in one step: you get a code with everything it needs (address, ids, secret and certificate).',
  pair: 'Pair gateway',
  rePair: 'Pair gateway again (new secret)',
  confirm: 'The gateway gets a new secret and the old one stops working. Continue?',
  codeTitle: 'Pairing code for {id}',
  warning: 'Copy the code now and paste it on the gateway. It will not be shown again.',
  codeLabel: 'Pairing code',
  command: 'Run on the gateway:',
  copy: 'Copy the code',
  copied: 'Copied.',
  copyFailed: 'Could not copy. Select the text and copy it yourself.',
  done: 'I have used the code',
  paired: 'Gateway {id} is paired.',
  rekeyed: 'Gateway {id} has a new secret; the old one no longer works.',
  failed: 'Pairing failed',
  tls: 'The connection is encrypted (TLS); the certificate is in the code.',
  noTls: 'Warning: the platform does not offer TLS. Use this on a closed network only.',
};
