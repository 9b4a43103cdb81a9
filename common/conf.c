/* conf.c - placeholder until written */
#include "config.h"
#include "mk_conf.h"
