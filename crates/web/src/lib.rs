//! maillage-web: HTTP server: French pages (askama, DSFR), JSON API v1 and OpenAPI, embed widget.
