// class-transformer keeps the metadata of @Type() in a storage it does not export from its index;
// class-validator-jsonschema needs it to resolve nested classes.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
