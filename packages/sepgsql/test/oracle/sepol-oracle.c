/*
 * sepol-oracle: answers access and labelling queries with libsepol, the reference the
 * @palisade/sepgsql tests compare against. Built by the tests (gcc, libsepol-dev).
 *
 * usage: sepol-oracle POLICY < queries
 * One query per line, one answer line each:
 *   av SCON TCON CLASS          -> "ok <allowed> <auditallow> <auditdeny> <reason>" (hex) | "err <what>"
 *   create|member|change SCON TCON CLASS -> "ok <context>" | "err <what>"
 *   valid CON                   -> "ok" | "err"
 *   bool NAME 0|1               -> "ok" | "err"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sepol/policydb.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/conditional.h>
#include <sepol/policydb/hashtab.h>
#include <sepol/policydb/sidtab.h>

static int sid_of(const char *con, sepol_security_id_t *sid)
{
	return sepol_context_to_sid(con, strlen(con) + 1, sid);
}

int main(int argc, char **argv)
{
	sepol_policy_file_t *pf;
	sepol_policydb_t *pdb;
	static sidtab_t sidtab;
	char line[65536];
	FILE *fp;

	if (argc != 2) {
		fprintf(stderr, "usage: %s POLICY\n", argv[0]);
		return 2;
	}
	fp = fopen(argv[1], "r");
	if (!fp || sepol_policy_file_create(&pf) || sepol_policydb_create(&pdb)) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	sepol_policy_file_set_fp(pf, fp);
	if (sepol_policydb_read(pdb, pf)) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 2;
	}
	sepol_sidtab_init(&sidtab);
	sepol_set_sidtab(&sidtab);
	sepol_set_policydb(&pdb->p);

	while (fgets(line, sizeof(line), stdin)) {
		char op[16], a[4096], b[4096], c[256];
		int n;
		line[strcspn(line, "\n")] = 0;
		n = sscanf(line, "%15s %4095s %4095s %255s", op, a, b, c);
		if (n < 1) {
			printf("err empty\n");
		} else if (strcmp(op, "av") == 0 && n == 4) {
			sepol_security_id_t s, t;
			sepol_security_class_t cls;
			struct sepol_av_decision avd;
			unsigned int reason = 0;
			if (sid_of(a, &s)) printf("err scontext\n");
			else if (sid_of(b, &t)) printf("err tcontext\n");
			else if (sepol_string_to_security_class(c, &cls)) printf("err class\n");
			else if (sepol_compute_av_reason(s, t, cls, 0xffffffff, &avd, &reason)) printf("err compute\n");
			else printf("ok %x %x %x %x\n", avd.allowed, avd.auditallow, avd.auditdeny, reason);
		} else if ((strcmp(op, "create") == 0 || strcmp(op, "member") == 0 || strcmp(op, "change") == 0) && n == 4) {
			sepol_security_id_t s, t, out;
			sepol_security_class_t cls;
			char *con = NULL;
			size_t len = 0;
			int rc;
			if (sid_of(a, &s)) { printf("err scontext\n"); goto next; }
			if (sid_of(b, &t)) { printf("err tcontext\n"); goto next; }
			if (sepol_string_to_security_class(c, &cls)) { printf("err class\n"); goto next; }
			if (op[0] == 'c' && op[1] == 'r') rc = sepol_transition_sid(s, t, cls, &out);
			else if (op[0] == 'm') rc = sepol_member_sid(s, t, cls, &out);
			else rc = sepol_change_sid(s, t, cls, &out);
			if (rc) { printf("err compute\n"); goto next; }
			if (sepol_sid_to_context(out, &con, &len)) { printf("err tostring\n"); goto next; }
			printf("ok %s\n", con);
			free(con);
		} else if (strcmp(op, "valid") == 0 && n >= 2) {
			sepol_security_id_t s;
			printf(sid_of(a, &s) ? "err\n" : "ok\n");
		} else if (strcmp(op, "bool") == 0 && n >= 3) {
			cond_bool_datum_t *d = hashtab_search(pdb->p.p_bools.table, a);
			if (!d) { printf("err\n"); goto next; }
			d->state = atoi(b) ? 1 : 0;
			evaluate_conds(&pdb->p);
			printf("ok\n");
		} else {
			printf("err query\n");
		}
next:
		fflush(stdout);
	}
	return 0;
}
