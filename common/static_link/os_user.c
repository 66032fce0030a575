/*
 * Replacements for libpgport's pg_get_user_name() and pg_get_user_home_dir() in static builds.
 *
 * libpq asks for the OS user name when the connection string has no user and PGUSER is unset, and
 * for the home directory to find ~/.pgpass and ~/.postgresql/root.crt. libpgport answers with
 * getpwuid_r(), which in a static glibc binary needs NSS; in a FROM-scratch image with uid 65532
 * there is no passwd entry at all. These versions read /etc/passwd directly when it exists, and
 * otherwise fail with a message that says what to do. Linked as an object, before libpgport.a, so
 * the archive's thread.o (which holds only these two functions) is never pulled in.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Copies field `field` (0-based) of the passwd line for `uid` into buffer. */
static bool passwd_field(uid_t uid, int field, char *buffer, size_t buflen) {
  FILE *f = fopen("/etc/passwd", "re");
  if (!f) return false;
  char line[1024];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *fields[7] = {0};
    int n = 0;
    for (char *p = line; p && n < 7; n++) { /* split on ':' keeping empty fields (e.g. an empty GECOS) */
      fields[n] = p;
      p = strchr(p, ':');
      if (p) *p++ = '\0';
    }
    if (n < 7) continue;
    if (fields[2][0] == '\0') continue;
    char *end = NULL;
    unsigned long entry_uid = strtoul(fields[2], &end, 10);
    if (*end != '\0' || entry_uid != (unsigned long)uid) continue;
    if (strlen(fields[field]) + 1 > buflen) break;
    strcpy(buffer, fields[field]);
    found = true;
  }
  fclose(f);
  return found;
}

bool pg_get_user_name(uid_t user_id, char *buffer, size_t buflen) {
  if (passwd_field(user_id, 0, buffer, buflen)) return true;
  snprintf(buffer, buflen,
           "the connection string has no user name and uid %u has no /etc/passwd entry; "
           "put the user in the URL (postgresql://USER:PASSWORD@HOST/DB) or set PGUSER",
           (unsigned)user_id);
  return false;
}

bool pg_get_user_home_dir(uid_t user_id, char *buffer, size_t buflen) {
  if (passwd_field(user_id, 5, buffer, buflen)) return true;
  snprintf(buffer, buflen, "uid %u has no /etc/passwd entry, so there is no home directory", (unsigned)user_id);
  return false;
}
