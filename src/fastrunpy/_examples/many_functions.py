"""500 small functions (two lines each): the long script ``fastrunpy bench`` times.

Most of the cost of running it is compiling it, which is what a cache saves.
"""

def f000(x: int) -> int:
    return x + 0
def f001(x: int) -> int:
    return x * 3 - 1
def f002(x: int) -> int:
    return (x ^ 2) & 0xFFFF
def f003(x: int) -> int:
    return x // 5 + 3
def f004(x: int) -> int:
    return -x + 4
def f005(x: int) -> int:
    return x * x % 7
def f006(x: int) -> int:
    return x + 6
def f007(x: int) -> int:
    return x * 2 - 7
def f008(x: int) -> int:
    return (x ^ 8) & 0xFFFF
def f009(x: int) -> int:
    return x // 4 + 9
def f010(x: int) -> int:
    return -x + 10
def f011(x: int) -> int:
    return x * x % 6
def f012(x: int) -> int:
    return x + 12
def f013(x: int) -> int:
    return x * 8 - 13
def f014(x: int) -> int:
    return (x ^ 14) & 0xFFFF
def f015(x: int) -> int:
    return x // 3 + 15
def f016(x: int) -> int:
    return -x + 16
def f017(x: int) -> int:
    return x * x % 5
def f018(x: int) -> int:
    return x + 18
def f019(x: int) -> int:
    return x * 7 - 19
def f020(x: int) -> int:
    return (x ^ 20) & 0xFFFF
def f021(x: int) -> int:
    return x // 2 + 21
def f022(x: int) -> int:
    return -x + 22
def f023(x: int) -> int:
    return x * x % 4
def f024(x: int) -> int:
    return x + 24
def f025(x: int) -> int:
    return x * 6 - 25
def f026(x: int) -> int:
    return (x ^ 26) & 0xFFFF
def f027(x: int) -> int:
    return x // 8 + 27
def f028(x: int) -> int:
    return -x + 28
def f029(x: int) -> int:
    return x * x % 3
def f030(x: int) -> int:
    return x + 30
def f031(x: int) -> int:
    return x * 5 - 31
def f032(x: int) -> int:
    return (x ^ 32) & 0xFFFF
def f033(x: int) -> int:
    return x // 7 + 33
def f034(x: int) -> int:
    return -x + 34
def f035(x: int) -> int:
    return x * x % 2
def f036(x: int) -> int:
    return x + 36
def f037(x: int) -> int:
    return x * 4 - 37
def f038(x: int) -> int:
    return (x ^ 38) & 0xFFFF
def f039(x: int) -> int:
    return x // 6 + 39
def f040(x: int) -> int:
    return -x + 40
def f041(x: int) -> int:
    return x * x % 8
def f042(x: int) -> int:
    return x + 42
def f043(x: int) -> int:
    return x * 3 - 43
def f044(x: int) -> int:
    return (x ^ 44) & 0xFFFF
def f045(x: int) -> int:
    return x // 5 + 45
def f046(x: int) -> int:
    return -x + 46
def f047(x: int) -> int:
    return x * x % 7
def f048(x: int) -> int:
    return x + 48
def f049(x: int) -> int:
    return x * 2 - 49
def f050(x: int) -> int:
    return (x ^ 50) & 0xFFFF
def f051(x: int) -> int:
    return x // 4 + 51
def f052(x: int) -> int:
    return -x + 52
def f053(x: int) -> int:
    return x * x % 6
def f054(x: int) -> int:
    return x + 54
def f055(x: int) -> int:
    return x * 8 - 55
def f056(x: int) -> int:
    return (x ^ 56) & 0xFFFF
def f057(x: int) -> int:
    return x // 3 + 57
def f058(x: int) -> int:
    return -x + 58
def f059(x: int) -> int:
    return x * x % 5
def f060(x: int) -> int:
    return x + 60
def f061(x: int) -> int:
    return x * 7 - 61
def f062(x: int) -> int:
    return (x ^ 62) & 0xFFFF
def f063(x: int) -> int:
    return x // 2 + 63
def f064(x: int) -> int:
    return -x + 64
def f065(x: int) -> int:
    return x * x % 4
def f066(x: int) -> int:
    return x + 66
def f067(x: int) -> int:
    return x * 6 - 67
def f068(x: int) -> int:
    return (x ^ 68) & 0xFFFF
def f069(x: int) -> int:
    return x // 8 + 69
def f070(x: int) -> int:
    return -x + 70
def f071(x: int) -> int:
    return x * x % 3
def f072(x: int) -> int:
    return x + 72
def f073(x: int) -> int:
    return x * 5 - 73
def f074(x: int) -> int:
    return (x ^ 74) & 0xFFFF
def f075(x: int) -> int:
    return x // 7 + 75
def f076(x: int) -> int:
    return -x + 76
def f077(x: int) -> int:
    return x * x % 2
def f078(x: int) -> int:
    return x + 78
def f079(x: int) -> int:
    return x * 4 - 79
def f080(x: int) -> int:
    return (x ^ 80) & 0xFFFF
def f081(x: int) -> int:
    return x // 6 + 81
def f082(x: int) -> int:
    return -x + 82
def f083(x: int) -> int:
    return x * x % 8
def f084(x: int) -> int:
    return x + 84
def f085(x: int) -> int:
    return x * 3 - 85
def f086(x: int) -> int:
    return (x ^ 86) & 0xFFFF
def f087(x: int) -> int:
    return x // 5 + 87
def f088(x: int) -> int:
    return -x + 88
def f089(x: int) -> int:
    return x * x % 7
def f090(x: int) -> int:
    return x + 90
def f091(x: int) -> int:
    return x * 2 - 91
def f092(x: int) -> int:
    return (x ^ 92) & 0xFFFF
def f093(x: int) -> int:
    return x // 4 + 93
def f094(x: int) -> int:
    return -x + 94
def f095(x: int) -> int:
    return x * x % 6
def f096(x: int) -> int:
    return x + 96
def f097(x: int) -> int:
    return x * 8 - 97
def f098(x: int) -> int:
    return (x ^ 98) & 0xFFFF
def f099(x: int) -> int:
    return x // 3 + 99
def f100(x: int) -> int:
    return -x + 100
def f101(x: int) -> int:
    return x * x % 5
def f102(x: int) -> int:
    return x + 102
def f103(x: int) -> int:
    return x * 7 - 103
def f104(x: int) -> int:
    return (x ^ 104) & 0xFFFF
def f105(x: int) -> int:
    return x // 2 + 105
def f106(x: int) -> int:
    return -x + 106
def f107(x: int) -> int:
    return x * x % 4
def f108(x: int) -> int:
    return x + 108
def f109(x: int) -> int:
    return x * 6 - 109
def f110(x: int) -> int:
    return (x ^ 110) & 0xFFFF
def f111(x: int) -> int:
    return x // 8 + 111
def f112(x: int) -> int:
    return -x + 112
def f113(x: int) -> int:
    return x * x % 3
def f114(x: int) -> int:
    return x + 114
def f115(x: int) -> int:
    return x * 5 - 115
def f116(x: int) -> int:
    return (x ^ 116) & 0xFFFF
def f117(x: int) -> int:
    return x // 7 + 117
def f118(x: int) -> int:
    return -x + 118
def f119(x: int) -> int:
    return x * x % 2
def f120(x: int) -> int:
    return x + 120
def f121(x: int) -> int:
    return x * 4 - 121
def f122(x: int) -> int:
    return (x ^ 122) & 0xFFFF
def f123(x: int) -> int:
    return x // 6 + 123
def f124(x: int) -> int:
    return -x + 124
def f125(x: int) -> int:
    return x * x % 8
def f126(x: int) -> int:
    return x + 126
def f127(x: int) -> int:
    return x * 3 - 127
def f128(x: int) -> int:
    return (x ^ 128) & 0xFFFF
def f129(x: int) -> int:
    return x // 5 + 129
def f130(x: int) -> int:
    return -x + 130
def f131(x: int) -> int:
    return x * x % 7
def f132(x: int) -> int:
    return x + 132
def f133(x: int) -> int:
    return x * 2 - 133
def f134(x: int) -> int:
    return (x ^ 134) & 0xFFFF
def f135(x: int) -> int:
    return x // 4 + 135
def f136(x: int) -> int:
    return -x + 136
def f137(x: int) -> int:
    return x * x % 6
def f138(x: int) -> int:
    return x + 138
def f139(x: int) -> int:
    return x * 8 - 139
def f140(x: int) -> int:
    return (x ^ 140) & 0xFFFF
def f141(x: int) -> int:
    return x // 3 + 141
def f142(x: int) -> int:
    return -x + 142
def f143(x: int) -> int:
    return x * x % 5
def f144(x: int) -> int:
    return x + 144
def f145(x: int) -> int:
    return x * 7 - 145
def f146(x: int) -> int:
    return (x ^ 146) & 0xFFFF
def f147(x: int) -> int:
    return x // 2 + 147
def f148(x: int) -> int:
    return -x + 148
def f149(x: int) -> int:
    return x * x % 4
def f150(x: int) -> int:
    return x + 150
def f151(x: int) -> int:
    return x * 6 - 151
def f152(x: int) -> int:
    return (x ^ 152) & 0xFFFF
def f153(x: int) -> int:
    return x // 8 + 153
def f154(x: int) -> int:
    return -x + 154
def f155(x: int) -> int:
    return x * x % 3
def f156(x: int) -> int:
    return x + 156
def f157(x: int) -> int:
    return x * 5 - 157
def f158(x: int) -> int:
    return (x ^ 158) & 0xFFFF
def f159(x: int) -> int:
    return x // 7 + 159
def f160(x: int) -> int:
    return -x + 160
def f161(x: int) -> int:
    return x * x % 2
def f162(x: int) -> int:
    return x + 162
def f163(x: int) -> int:
    return x * 4 - 163
def f164(x: int) -> int:
    return (x ^ 164) & 0xFFFF
def f165(x: int) -> int:
    return x // 6 + 165
def f166(x: int) -> int:
    return -x + 166
def f167(x: int) -> int:
    return x * x % 8
def f168(x: int) -> int:
    return x + 168
def f169(x: int) -> int:
    return x * 3 - 169
def f170(x: int) -> int:
    return (x ^ 170) & 0xFFFF
def f171(x: int) -> int:
    return x // 5 + 171
def f172(x: int) -> int:
    return -x + 172
def f173(x: int) -> int:
    return x * x % 7
def f174(x: int) -> int:
    return x + 174
def f175(x: int) -> int:
    return x * 2 - 175
def f176(x: int) -> int:
    return (x ^ 176) & 0xFFFF
def f177(x: int) -> int:
    return x // 4 + 177
def f178(x: int) -> int:
    return -x + 178
def f179(x: int) -> int:
    return x * x % 6
def f180(x: int) -> int:
    return x + 180
def f181(x: int) -> int:
    return x * 8 - 181
def f182(x: int) -> int:
    return (x ^ 182) & 0xFFFF
def f183(x: int) -> int:
    return x // 3 + 183
def f184(x: int) -> int:
    return -x + 184
def f185(x: int) -> int:
    return x * x % 5
def f186(x: int) -> int:
    return x + 186
def f187(x: int) -> int:
    return x * 7 - 187
def f188(x: int) -> int:
    return (x ^ 188) & 0xFFFF
def f189(x: int) -> int:
    return x // 2 + 189
def f190(x: int) -> int:
    return -x + 190
def f191(x: int) -> int:
    return x * x % 4
def f192(x: int) -> int:
    return x + 192
def f193(x: int) -> int:
    return x * 6 - 193
def f194(x: int) -> int:
    return (x ^ 194) & 0xFFFF
def f195(x: int) -> int:
    return x // 8 + 195
def f196(x: int) -> int:
    return -x + 196
def f197(x: int) -> int:
    return x * x % 3
def f198(x: int) -> int:
    return x + 198
def f199(x: int) -> int:
    return x * 5 - 199
def f200(x: int) -> int:
    return (x ^ 200) & 0xFFFF
def f201(x: int) -> int:
    return x // 7 + 201
def f202(x: int) -> int:
    return -x + 202
def f203(x: int) -> int:
    return x * x % 2
def f204(x: int) -> int:
    return x + 204
def f205(x: int) -> int:
    return x * 4 - 205
def f206(x: int) -> int:
    return (x ^ 206) & 0xFFFF
def f207(x: int) -> int:
    return x // 6 + 207
def f208(x: int) -> int:
    return -x + 208
def f209(x: int) -> int:
    return x * x % 8
def f210(x: int) -> int:
    return x + 210
def f211(x: int) -> int:
    return x * 3 - 211
def f212(x: int) -> int:
    return (x ^ 212) & 0xFFFF
def f213(x: int) -> int:
    return x // 5 + 213
def f214(x: int) -> int:
    return -x + 214
def f215(x: int) -> int:
    return x * x % 7
def f216(x: int) -> int:
    return x + 216
def f217(x: int) -> int:
    return x * 2 - 217
def f218(x: int) -> int:
    return (x ^ 218) & 0xFFFF
def f219(x: int) -> int:
    return x // 4 + 219
def f220(x: int) -> int:
    return -x + 220
def f221(x: int) -> int:
    return x * x % 6
def f222(x: int) -> int:
    return x + 222
def f223(x: int) -> int:
    return x * 8 - 223
def f224(x: int) -> int:
    return (x ^ 224) & 0xFFFF
def f225(x: int) -> int:
    return x // 3 + 225
def f226(x: int) -> int:
    return -x + 226
def f227(x: int) -> int:
    return x * x % 5
def f228(x: int) -> int:
    return x + 228
def f229(x: int) -> int:
    return x * 7 - 229
def f230(x: int) -> int:
    return (x ^ 230) & 0xFFFF
def f231(x: int) -> int:
    return x // 2 + 231
def f232(x: int) -> int:
    return -x + 232
def f233(x: int) -> int:
    return x * x % 4
def f234(x: int) -> int:
    return x + 234
def f235(x: int) -> int:
    return x * 6 - 235
def f236(x: int) -> int:
    return (x ^ 236) & 0xFFFF
def f237(x: int) -> int:
    return x // 8 + 237
def f238(x: int) -> int:
    return -x + 238
def f239(x: int) -> int:
    return x * x % 3
def f240(x: int) -> int:
    return x + 240
def f241(x: int) -> int:
    return x * 5 - 241
def f242(x: int) -> int:
    return (x ^ 242) & 0xFFFF
def f243(x: int) -> int:
    return x // 7 + 243
def f244(x: int) -> int:
    return -x + 244
def f245(x: int) -> int:
    return x * x % 2
def f246(x: int) -> int:
    return x + 246
def f247(x: int) -> int:
    return x * 4 - 247
def f248(x: int) -> int:
    return (x ^ 248) & 0xFFFF
def f249(x: int) -> int:
    return x // 6 + 249
def f250(x: int) -> int:
    return -x + 250
def f251(x: int) -> int:
    return x * x % 8
def f252(x: int) -> int:
    return x + 252
def f253(x: int) -> int:
    return x * 3 - 253
def f254(x: int) -> int:
    return (x ^ 254) & 0xFFFF
def f255(x: int) -> int:
    return x // 5 + 255
def f256(x: int) -> int:
    return -x + 256
def f257(x: int) -> int:
    return x * x % 7
def f258(x: int) -> int:
    return x + 258
def f259(x: int) -> int:
    return x * 2 - 259
def f260(x: int) -> int:
    return (x ^ 260) & 0xFFFF
def f261(x: int) -> int:
    return x // 4 + 261
def f262(x: int) -> int:
    return -x + 262
def f263(x: int) -> int:
    return x * x % 6
def f264(x: int) -> int:
    return x + 264
def f265(x: int) -> int:
    return x * 8 - 265
def f266(x: int) -> int:
    return (x ^ 266) & 0xFFFF
def f267(x: int) -> int:
    return x // 3 + 267
def f268(x: int) -> int:
    return -x + 268
def f269(x: int) -> int:
    return x * x % 5
def f270(x: int) -> int:
    return x + 270
def f271(x: int) -> int:
    return x * 7 - 271
def f272(x: int) -> int:
    return (x ^ 272) & 0xFFFF
def f273(x: int) -> int:
    return x // 2 + 273
def f274(x: int) -> int:
    return -x + 274
def f275(x: int) -> int:
    return x * x % 4
def f276(x: int) -> int:
    return x + 276
def f277(x: int) -> int:
    return x * 6 - 277
def f278(x: int) -> int:
    return (x ^ 278) & 0xFFFF
def f279(x: int) -> int:
    return x // 8 + 279
def f280(x: int) -> int:
    return -x + 280
def f281(x: int) -> int:
    return x * x % 3
def f282(x: int) -> int:
    return x + 282
def f283(x: int) -> int:
    return x * 5 - 283
def f284(x: int) -> int:
    return (x ^ 284) & 0xFFFF
def f285(x: int) -> int:
    return x // 7 + 285
def f286(x: int) -> int:
    return -x + 286
def f287(x: int) -> int:
    return x * x % 2
def f288(x: int) -> int:
    return x + 288
def f289(x: int) -> int:
    return x * 4 - 289
def f290(x: int) -> int:
    return (x ^ 290) & 0xFFFF
def f291(x: int) -> int:
    return x // 6 + 291
def f292(x: int) -> int:
    return -x + 292
def f293(x: int) -> int:
    return x * x % 8
def f294(x: int) -> int:
    return x + 294
def f295(x: int) -> int:
    return x * 3 - 295
def f296(x: int) -> int:
    return (x ^ 296) & 0xFFFF
def f297(x: int) -> int:
    return x // 5 + 297
def f298(x: int) -> int:
    return -x + 298
def f299(x: int) -> int:
    return x * x % 7
def f300(x: int) -> int:
    return x + 300
def f301(x: int) -> int:
    return x * 2 - 301
def f302(x: int) -> int:
    return (x ^ 302) & 0xFFFF
def f303(x: int) -> int:
    return x // 4 + 303
def f304(x: int) -> int:
    return -x + 304
def f305(x: int) -> int:
    return x * x % 6
def f306(x: int) -> int:
    return x + 306
def f307(x: int) -> int:
    return x * 8 - 307
def f308(x: int) -> int:
    return (x ^ 308) & 0xFFFF
def f309(x: int) -> int:
    return x // 3 + 309
def f310(x: int) -> int:
    return -x + 310
def f311(x: int) -> int:
    return x * x % 5
def f312(x: int) -> int:
    return x + 312
def f313(x: int) -> int:
    return x * 7 - 313
def f314(x: int) -> int:
    return (x ^ 314) & 0xFFFF
def f315(x: int) -> int:
    return x // 2 + 315
def f316(x: int) -> int:
    return -x + 316
def f317(x: int) -> int:
    return x * x % 4
def f318(x: int) -> int:
    return x + 318
def f319(x: int) -> int:
    return x * 6 - 319
def f320(x: int) -> int:
    return (x ^ 320) & 0xFFFF
def f321(x: int) -> int:
    return x // 8 + 321
def f322(x: int) -> int:
    return -x + 322
def f323(x: int) -> int:
    return x * x % 3
def f324(x: int) -> int:
    return x + 324
def f325(x: int) -> int:
    return x * 5 - 325
def f326(x: int) -> int:
    return (x ^ 326) & 0xFFFF
def f327(x: int) -> int:
    return x // 7 + 327
def f328(x: int) -> int:
    return -x + 328
def f329(x: int) -> int:
    return x * x % 2
def f330(x: int) -> int:
    return x + 330
def f331(x: int) -> int:
    return x * 4 - 331
def f332(x: int) -> int:
    return (x ^ 332) & 0xFFFF
def f333(x: int) -> int:
    return x // 6 + 333
def f334(x: int) -> int:
    return -x + 334
def f335(x: int) -> int:
    return x * x % 8
def f336(x: int) -> int:
    return x + 336
def f337(x: int) -> int:
    return x * 3 - 337
def f338(x: int) -> int:
    return (x ^ 338) & 0xFFFF
def f339(x: int) -> int:
    return x // 5 + 339
def f340(x: int) -> int:
    return -x + 340
def f341(x: int) -> int:
    return x * x % 7
def f342(x: int) -> int:
    return x + 342
def f343(x: int) -> int:
    return x * 2 - 343
def f344(x: int) -> int:
    return (x ^ 344) & 0xFFFF
def f345(x: int) -> int:
    return x // 4 + 345
def f346(x: int) -> int:
    return -x + 346
def f347(x: int) -> int:
    return x * x % 6
def f348(x: int) -> int:
    return x + 348
def f349(x: int) -> int:
    return x * 8 - 349
def f350(x: int) -> int:
    return (x ^ 350) & 0xFFFF
def f351(x: int) -> int:
    return x // 3 + 351
def f352(x: int) -> int:
    return -x + 352
def f353(x: int) -> int:
    return x * x % 5
def f354(x: int) -> int:
    return x + 354
def f355(x: int) -> int:
    return x * 7 - 355
def f356(x: int) -> int:
    return (x ^ 356) & 0xFFFF
def f357(x: int) -> int:
    return x // 2 + 357
def f358(x: int) -> int:
    return -x + 358
def f359(x: int) -> int:
    return x * x % 4
def f360(x: int) -> int:
    return x + 360
def f361(x: int) -> int:
    return x * 6 - 361
def f362(x: int) -> int:
    return (x ^ 362) & 0xFFFF
def f363(x: int) -> int:
    return x // 8 + 363
def f364(x: int) -> int:
    return -x + 364
def f365(x: int) -> int:
    return x * x % 3
def f366(x: int) -> int:
    return x + 366
def f367(x: int) -> int:
    return x * 5 - 367
def f368(x: int) -> int:
    return (x ^ 368) & 0xFFFF
def f369(x: int) -> int:
    return x // 7 + 369
def f370(x: int) -> int:
    return -x + 370
def f371(x: int) -> int:
    return x * x % 2
def f372(x: int) -> int:
    return x + 372
def f373(x: int) -> int:
    return x * 4 - 373
def f374(x: int) -> int:
    return (x ^ 374) & 0xFFFF
def f375(x: int) -> int:
    return x // 6 + 375
def f376(x: int) -> int:
    return -x + 376
def f377(x: int) -> int:
    return x * x % 8
def f378(x: int) -> int:
    return x + 378
def f379(x: int) -> int:
    return x * 3 - 379
def f380(x: int) -> int:
    return (x ^ 380) & 0xFFFF
def f381(x: int) -> int:
    return x // 5 + 381
def f382(x: int) -> int:
    return -x + 382
def f383(x: int) -> int:
    return x * x % 7
def f384(x: int) -> int:
    return x + 384
def f385(x: int) -> int:
    return x * 2 - 385
def f386(x: int) -> int:
    return (x ^ 386) & 0xFFFF
def f387(x: int) -> int:
    return x // 4 + 387
def f388(x: int) -> int:
    return -x + 388
def f389(x: int) -> int:
    return x * x % 6
def f390(x: int) -> int:
    return x + 390
def f391(x: int) -> int:
    return x * 8 - 391
def f392(x: int) -> int:
    return (x ^ 392) & 0xFFFF
def f393(x: int) -> int:
    return x // 3 + 393
def f394(x: int) -> int:
    return -x + 394
def f395(x: int) -> int:
    return x * x % 5
def f396(x: int) -> int:
    return x + 396
def f397(x: int) -> int:
    return x * 7 - 397
def f398(x: int) -> int:
    return (x ^ 398) & 0xFFFF
def f399(x: int) -> int:
    return x // 2 + 399
def f400(x: int) -> int:
    return -x + 400
def f401(x: int) -> int:
    return x * x % 4
def f402(x: int) -> int:
    return x + 402
def f403(x: int) -> int:
    return x * 6 - 403
def f404(x: int) -> int:
    return (x ^ 404) & 0xFFFF
def f405(x: int) -> int:
    return x // 8 + 405
def f406(x: int) -> int:
    return -x + 406
def f407(x: int) -> int:
    return x * x % 3
def f408(x: int) -> int:
    return x + 408
def f409(x: int) -> int:
    return x * 5 - 409
def f410(x: int) -> int:
    return (x ^ 410) & 0xFFFF
def f411(x: int) -> int:
    return x // 7 + 411
def f412(x: int) -> int:
    return -x + 412
def f413(x: int) -> int:
    return x * x % 2
def f414(x: int) -> int:
    return x + 414
def f415(x: int) -> int:
    return x * 4 - 415
def f416(x: int) -> int:
    return (x ^ 416) & 0xFFFF
def f417(x: int) -> int:
    return x // 6 + 417
def f418(x: int) -> int:
    return -x + 418
def f419(x: int) -> int:
    return x * x % 8
def f420(x: int) -> int:
    return x + 420
def f421(x: int) -> int:
    return x * 3 - 421
def f422(x: int) -> int:
    return (x ^ 422) & 0xFFFF
def f423(x: int) -> int:
    return x // 5 + 423
def f424(x: int) -> int:
    return -x + 424
def f425(x: int) -> int:
    return x * x % 7
def f426(x: int) -> int:
    return x + 426
def f427(x: int) -> int:
    return x * 2 - 427
def f428(x: int) -> int:
    return (x ^ 428) & 0xFFFF
def f429(x: int) -> int:
    return x // 4 + 429
def f430(x: int) -> int:
    return -x + 430
def f431(x: int) -> int:
    return x * x % 6
def f432(x: int) -> int:
    return x + 432
def f433(x: int) -> int:
    return x * 8 - 433
def f434(x: int) -> int:
    return (x ^ 434) & 0xFFFF
def f435(x: int) -> int:
    return x // 3 + 435
def f436(x: int) -> int:
    return -x + 436
def f437(x: int) -> int:
    return x * x % 5
def f438(x: int) -> int:
    return x + 438
def f439(x: int) -> int:
    return x * 7 - 439
def f440(x: int) -> int:
    return (x ^ 440) & 0xFFFF
def f441(x: int) -> int:
    return x // 2 + 441
def f442(x: int) -> int:
    return -x + 442
def f443(x: int) -> int:
    return x * x % 4
def f444(x: int) -> int:
    return x + 444
def f445(x: int) -> int:
    return x * 6 - 445
def f446(x: int) -> int:
    return (x ^ 446) & 0xFFFF
def f447(x: int) -> int:
    return x // 8 + 447
def f448(x: int) -> int:
    return -x + 448
def f449(x: int) -> int:
    return x * x % 3
def f450(x: int) -> int:
    return x + 450
def f451(x: int) -> int:
    return x * 5 - 451
def f452(x: int) -> int:
    return (x ^ 452) & 0xFFFF
def f453(x: int) -> int:
    return x // 7 + 453
def f454(x: int) -> int:
    return -x + 454
def f455(x: int) -> int:
    return x * x % 2
def f456(x: int) -> int:
    return x + 456
def f457(x: int) -> int:
    return x * 4 - 457
def f458(x: int) -> int:
    return (x ^ 458) & 0xFFFF
def f459(x: int) -> int:
    return x // 6 + 459
def f460(x: int) -> int:
    return -x + 460
def f461(x: int) -> int:
    return x * x % 8
def f462(x: int) -> int:
    return x + 462
def f463(x: int) -> int:
    return x * 3 - 463
def f464(x: int) -> int:
    return (x ^ 464) & 0xFFFF
def f465(x: int) -> int:
    return x // 5 + 465
def f466(x: int) -> int:
    return -x + 466
def f467(x: int) -> int:
    return x * x % 7
def f468(x: int) -> int:
    return x + 468
def f469(x: int) -> int:
    return x * 2 - 469
def f470(x: int) -> int:
    return (x ^ 470) & 0xFFFF
def f471(x: int) -> int:
    return x // 4 + 471
def f472(x: int) -> int:
    return -x + 472
def f473(x: int) -> int:
    return x * x % 6
def f474(x: int) -> int:
    return x + 474
def f475(x: int) -> int:
    return x * 8 - 475
def f476(x: int) -> int:
    return (x ^ 476) & 0xFFFF
def f477(x: int) -> int:
    return x // 3 + 477
def f478(x: int) -> int:
    return -x + 478
def f479(x: int) -> int:
    return x * x % 5
def f480(x: int) -> int:
    return x + 480
def f481(x: int) -> int:
    return x * 7 - 481
def f482(x: int) -> int:
    return (x ^ 482) & 0xFFFF
def f483(x: int) -> int:
    return x // 2 + 483
def f484(x: int) -> int:
    return -x + 484
def f485(x: int) -> int:
    return x * x % 4
def f486(x: int) -> int:
    return x + 486
def f487(x: int) -> int:
    return x * 6 - 487
def f488(x: int) -> int:
    return (x ^ 488) & 0xFFFF
def f489(x: int) -> int:
    return x // 8 + 489
def f490(x: int) -> int:
    return -x + 490
def f491(x: int) -> int:
    return x * x % 3
def f492(x: int) -> int:
    return x + 492
def f493(x: int) -> int:
    return x * 5 - 493
def f494(x: int) -> int:
    return (x ^ 494) & 0xFFFF
def f495(x: int) -> int:
    return x // 7 + 495
def f496(x: int) -> int:
    return -x + 496
def f497(x: int) -> int:
    return x * x % 2
def f498(x: int) -> int:
    return x + 498
def f499(x: int) -> int:
    return x * 4 - 499

total = sum(f(1) for f in (f000, f123, f250, f499))
