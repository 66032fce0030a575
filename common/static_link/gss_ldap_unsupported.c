/*
 * Link-time entry points that make GSSAPI and LDAP fail cleanly in static builds.
 *
 * Debian's libpq.a is built with GSSAPI (Kerberos) and LDAP support, but Debian ships no static
 * krb5 or OpenLDAP libraries, so a static link leaves these symbols undefined. podguard defines
 * them here with the same calling conventions, and every call fails:
 *   - gssencmode=prefer (the default) asks gss_acquire_cred for a credential cache; it fails, so
 *     libpq skips GSS encryption and goes on with TLS or plain TCP, as with a host without Kerberos.
 *   - a server that demands GSSAPI authentication gets "GSSAPI is not supported by this static
 *     podguard build" in the connection error.
 *   - a service file with an ldap:// URL fails with "could not create LDAP structure".
 * See docs/design/static-build.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint32_t OM_uint32;
typedef struct {
  size_t length;
  void *value;
} gss_buffer_desc;

#define GSS_S_COMPLETE 0u
#define GSS_S_FAILURE (13u << 16)

static char unsupported_message[] = "GSSAPI is not supported by this static podguard build";

void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

static OM_uint32 fail(OM_uint32 *minor) {
  if (minor) *minor = 0;
  return GSS_S_FAILURE;
}

OM_uint32 gss_acquire_cred(OM_uint32 *minor, void *name, OM_uint32 time_req, void *mechs, int usage,
                           void **cred, void **actual_mechs, OM_uint32 *time_rec) {
  (void)name, (void)time_req, (void)mechs, (void)usage;
  if (cred) *cred = NULL;
  if (actual_mechs) *actual_mechs = NULL;
  if (time_rec) *time_rec = 0;
  return fail(minor);
}

OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech, OM_uint32 *context,
                             gss_buffer_desc *out) {
  (void)status, (void)type, (void)mech;
  if (minor) *minor = 0;
  if (context) *context = 0;
  if (out) {
    out->length = strlen(unsupported_message);
    out->value = unsupported_message;
  }
  return GSS_S_COMPLETE;
}

OM_uint32 gss_release_buffer(OM_uint32 *minor, gss_buffer_desc *buffer) {
  if (minor) *minor = 0;
  if (buffer) buffer->length = 0, buffer->value = NULL; /* never free: the text above is static */
  return GSS_S_COMPLETE;
}

OM_uint32 gss_import_name(OM_uint32 *minor, gss_buffer_desc *in, void *type, void **out) {
  (void)in, (void)type;
  if (out) *out = NULL;
  return fail(minor);
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, void *mech, OM_uint32 flags,
                               OM_uint32 time_req, void *bindings, gss_buffer_desc *in, void **actual_mech,
                               gss_buffer_desc *out, OM_uint32 *ret_flags, OM_uint32 *time_rec) {
  (void)cred, (void)ctx, (void)target, (void)mech, (void)flags, (void)time_req, (void)bindings, (void)in;
  if (actual_mech) *actual_mech = NULL;
  if (out) out->length = 0, out->value = NULL;
  if (ret_flags) *ret_flags = 0;
  if (time_rec) *time_rec = 0;
  return fail(minor);
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, gss_buffer_desc *out) {
  if (minor) *minor = 0;
  if (ctx) *ctx = NULL;
  if (out) out->length = 0, out->value = NULL;
  return GSS_S_COMPLETE;
}

OM_uint32 gss_release_cred(OM_uint32 *minor, void **cred) {
  if (minor) *minor = 0;
  if (cred) *cred = NULL;
  return GSS_S_COMPLETE;
}

OM_uint32 gss_release_name(OM_uint32 *minor, void **name) {
  if (minor) *minor = 0;
  if (name) *name = NULL;
  return GSS_S_COMPLETE;
}

OM_uint32 gss_wrap(OM_uint32 *minor, void *ctx, int conf, OM_uint32 qop, gss_buffer_desc *in, int *conf_state,
                   gss_buffer_desc *out) {
  (void)ctx, (void)conf, (void)qop, (void)in;
  if (conf_state) *conf_state = 0;
  if (out) out->length = 0, out->value = NULL;
  return fail(minor);
}

OM_uint32 gss_unwrap(OM_uint32 *minor, void *ctx, gss_buffer_desc *in, gss_buffer_desc *out, int *conf_state,
                     OM_uint32 *qop) {
  (void)ctx, (void)in;
  if (out) out->length = 0, out->value = NULL;
  if (conf_state) *conf_state = 0;
  if (qop) *qop = 0;
  return fail(minor);
}

OM_uint32 gss_wrap_size_limit(OM_uint32 *minor, void *ctx, int conf, OM_uint32 qop, OM_uint32 req_out,
                              OM_uint32 *max_in) {
  (void)ctx, (void)conf, (void)qop, (void)req_out;
  if (max_in) *max_in = 0;
  return fail(minor);
}

/* LDAP: only reached through an ldap:// line in a pg_service.conf. ldap_init() returning NULL makes
 * libpq report "could not create LDAP structure"; the rest is never called after that. */
void *ldap_init(const char *host, int port) {
  (void)host, (void)port;
  return NULL;
}
int ldap_set_option(void *ld, int option, const void *value) { (void)ld, (void)option, (void)value; return -1; }
int ldap_simple_bind(void *ld, const char *who, const char *pw) { (void)ld, (void)who, (void)pw; return -1; }
int ldap_search_st(void *ld, const char *base, int scope, const char *filter, char **attrs, int attrsonly,
                   void *timeout, void **res) {
  (void)ld, (void)base, (void)scope, (void)filter, (void)attrs, (void)attrsonly, (void)timeout;
  if (res) *res = NULL;
  return -1;
}
int ldap_result(void *ld, int msgid, int all, void *timeout, void **res) {
  (void)ld, (void)msgid, (void)all, (void)timeout;
  if (res) *res = NULL;
  return -1;
}
int ldap_count_entries(void *ld, void *res) { (void)ld, (void)res; return 0; }
void *ldap_first_entry(void *ld, void *res) { (void)ld, (void)res; return NULL; }
void *ldap_get_values_len(void *ld, void *entry, const char *attr) { (void)ld, (void)entry, (void)attr; return NULL; }
void ldap_value_free_len(void *values) { (void)values; }
int ldap_msgfree(void *res) { (void)res; return 0; }
int ldap_unbind(void *ld) { (void)ld; return 0; }
char *ldap_err2string(int err) { (void)err; return unsupported_message; }
