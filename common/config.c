/* config.c - placeholder until written */
#include "config.h"
#include "mk_cfg.h"
