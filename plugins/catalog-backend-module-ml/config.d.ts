export interface Config {
  catalog?: {
    /** Configuration of the ML entity kinds in the catalog. */
    ml?: {
      /**
       * Also register the ML kinds, relations and annotations as a catalog
       * model layer (the catalog's newer, alpha way of declaring kinds), so
       * that the catalog's model description (e.g. the
       * `get-catalog-model-description` action for MCP clients) includes
       * them. Registering any model layer makes the catalog validate all
       * kinds, built-in ones included, through its model. Validation,
       * defaults and relations of the ML kinds come from the ML processor
       * either way. Default: true.
       */
      registerCatalogModel?: boolean;
    };
  };
}
