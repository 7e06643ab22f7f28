#ifndef JOYCITY_CHIREDIS_SHIM_H
#define JOYCITY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <poll.h>
#endif
