/** The app identity simulated devices and wallets present unless told otherwise. */
export const SIMULATOR_APP_ID = 'ABCDE12345.com.example.wallet';
export const SIMULATOR_PACKAGE = 'com.example.wallet';
