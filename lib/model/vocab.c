/* vocab.c - severities and roles: names and parsing (vocab.h). */
#include "vocab.h"

#include "err.h"

#include <assert.h>
#include <string.h>

static const char *const sev_names[HQ_SEV_COUNT] = {"low", "medium", "high", "critical"};
static const char *const role_names[HQ_ROLE_COUNT] = {
    "working_group", "office_director", "deputy_director", "section_head", "centre_head",
    "supervisor",    "vice_president",  "contractor_contact", "complainant", "admin",
};

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *hq_severity_name(hq_severity s)
{
    assert(s >= 0 && s < HQ_SEV_COUNT);
    return sev_names[s];
}

int hq_severity_parse(const char *s, hq_severity *out)
{
    int i = lookup(sev_names, HQ_SEV_COUNT, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_severity)i;
    return 0;
}

const char *hq_role_name(hq_role r)
{
    assert(r >= 0 && r < HQ_ROLE_COUNT);
    return role_names[r];
}

int hq_role_parse(const char *s, hq_role *out)
{
    int i = lookup(role_names, HQ_ROLE_COUNT, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_role)i;
    return 0;
}
