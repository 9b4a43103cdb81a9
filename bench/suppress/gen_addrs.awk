# bench/suppress/gen_addrs.awk - realistic, repeatable addresses for the
# suppress benchmark.
#
#   awk -v mode=store -v n=10000000 -f gen_addrs.awk      > entries
#   awk -v mode=query -v n=10000000 -v q=100000 -v hit=10 -f gen_addrs.awk > rcpts
#
# Address number i always gives the same address: first.last, initial and
# last name, first_last, first name and digits, or a role account, at a big
# provider (60%) or one of 20,000 company domains. mode=store prints
# addresses 0 .. n-1 (the store). mode=query prints q recipients, hit percent
# of them drawn from the store, the rest addresses numbered n and above,
# never imported (a few may collide with stored ones: the import merges such
# duplicates, so a hit rate a little over the nominal one is expected).
function addr(i,    f, l, r, s, loc, dom, h) {
	f = first[i % NF_]
	l = last[int(i / NF_) % NL_]
	r = int(i / (NF_ * NL_))
	s = int(i / 7) % 10
	if (s < 4)
		loc = f "." l (r ? r : "")
	else if (s < 6)
		loc = substr(f, 1, 1) l r
	else if (s < 8)
		loc = f "_" l (r ? r : "")
	else if (s < 9)
		loc = f l "." r
	else
		loc = role[i % NR_] "." f "." l r
	h = (i * 40503) % 100
	if (h < 60)
		dom = big[(i * 7) % NB_]
	else
		dom = tail[(i * 13) % NT_] (int(i * 31 / 3) % 20000) "." tld[i % NX_]
	return loc "@" dom
}

BEGIN {
	NF_ = split("james mary robert patricia john jennifer michael linda " \
	    "david elizabeth william barbara richard susan joseph jessica thomas " \
	    "sarah charles karen christopher lisa daniel nancy matthew betty " \
	    "anthony sandra mark margaret donald ashley steven kimberly paul " \
	    "emily andrew donna joshua michelle kenneth carol kevin amanda brian " \
	    "melissa george deborah timothy stephanie ronald rebecca jason sharon " \
	    "edward laura jeffrey cynthia ryan dorothy jacob amy gary kathleen " \
	    "nicholas angela eric shirley jonathan emma stephen brenda larry " \
	    "pamela justin nicole scott anna brandon samantha benjamin katherine " \
	    "samuel christine gregory debra alexander rachel patrick carolyn " \
	    "frank janet raymond maria jack olivia dennis heather", first, " ")
	NL_ = split("smith johnson williams brown jones garcia miller davis " \
	    "rodriguez martinez hernandez lopez gonzalez wilson anderson thomas " \
	    "taylor moore jackson martin lee perez thompson white harris sanchez " \
	    "clark ramirez lewis robinson walker young allen king wright scott " \
	    "torres nguyen hill flores green adams nelson baker hall rivera " \
	    "campbell mitchell carter roberts gomez phillips evans turner diaz " \
	    "parker cruz edwards collins reyes stewart morris morales murphy " \
	    "cook rogers gutierrez ortiz morgan cooper peterson bailey reed " \
	    "kelly howard ramos kim cox ward richardson watson brooks chavez " \
	    "wood james bennett gray mendoza ruiz hughes price alvarez castillo", last, " ")
	NR_ = split("info sales support billing admin office contact hr", role, " ")
	NB_ = split("gmail.com yahoo.com outlook.com hotmail.com icloud.com " \
	    "aol.com gmx.de web.de orange.fr mail.ru yandex.ru qq.com " \
	    "proton.me comcast.net free.fr libero.it", big, " ")
	NT_ = split("acme globex initech umbrella stark wayne wonka tyrell " \
	    "cyberdyne soylent hooli vandelay", tail, " ")
	NX_ = split("com net org de fr co.uk example nl", tld, " ")
	# split() counts from 1; shift so that index 0 .. N-1 works.
	for (k = 0; k < NF_; k++) first[k] = first[k + 1]
	for (k = 0; k < NL_; k++) last[k] = last[k + 1]
	for (k = 0; k < NR_; k++) role[k] = role[k + 1]
	for (k = 0; k < NB_; k++) big[k] = big[k + 1]
	for (k = 0; k < NT_; k++) tail[k] = tail[k + 1]
	for (k = 0; k < NX_; k++) tld[k] = tld[k + 1]
	if (mode == "store") {
		for (i = 0; i < n; i++)
			print addr(i)
	} else {
		for (j = 0; j < q; j++) {
			if (j % 100 < hit)
				print addr((j * 2654435761) % n)
			else
				print addr(n + j * 7 + 3)
		}
	}
	exit
}
