/* mech.c - the list of SASL mechanisms Loft implements. */
#include "lib.h"
#include "mech.h"

#include <strings.h>

static const struct mech_module *const mech_modules[] = {
    &mech_plain,	&mech_login,
    &mech_apop,		&mech_cram_md5,
    &mech_scram_sha1,	&mech_scram_sha1_plus,
    &mech_scram_sha256, &mech_scram_sha256_plus,
    &mech_external,	&mech_anonymous,
};

const struct mech_module *mech_module_find(const char *name)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mech_modules); i++) {
		if (strcasecmp(mech_modules[i]->name, name) == 0)
			return mech_modules[i];
	}
	return NULL;
}
